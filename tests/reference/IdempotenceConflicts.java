import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the Java producer makes of settings that conflict with idempotence, with idempotence only
 * defaulted and with it asked for explicitly. One line per case, "case TAB outcome": "idempotent",
 * "not idempotent" (the producer was built) or "ConfigException: message". Needs no broker.
 */
public class IdempotenceConflicts {
    public static void main(String[] args) {
        Map<String, Map<String, Object>> conflicts = new LinkedHashMap<>();
        conflicts.put("none", Map.of());
        conflicts.put("acks=1", Map.of(ProducerConfig.ACKS_CONFIG, "1"));
        conflicts.put("acks=0", Map.of(ProducerConfig.ACKS_CONFIG, "0"));
        conflicts.put("retries=0", Map.of(ProducerConfig.RETRIES_CONFIG, 0));
        conflicts.put("max.in.flight=6", Map.of(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 6));
        for (String idempotence : new String[] {"default", "true"}) {
            for (Map.Entry<String, Map<String, Object>> c : conflicts.entrySet()) {
                Properties props = new Properties();
                props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
                props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
                props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
                if (idempotence.equals("true")) {
                    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                }
                props.putAll(c.getValue());
                String outcome;
                try {
                    boolean enabled = new ProducerConfig(props).getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
                    new KafkaProducer<byte[], byte[]>(props).close();
                    outcome = enabled ? "idempotent" : "not idempotent";
                } catch (ConfigException e) {
                    outcome = "ConfigException: " + e.getMessage();
                }
                System.out.println("enable.idempotence=" + idempotence + " " + c.getKey() + "\t" + outcome);
            }
        }
    }
}
