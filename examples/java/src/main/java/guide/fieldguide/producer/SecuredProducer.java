package guide.fieldguide.producer;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What every secured example (TlsProducer, MutualTlsProducer, ScramProducer, OAuthBearerProducer) does with
 * its security settings: the same settings for the admin client that creates the topic and for the producer
 * that writes one record, acks=all. The configurations the security page shows are in those classes.
 */
public final class SecuredProducer {
    private SecuredProducer() {
    }

    public static Properties config(String bootstrapServers, Properties security) {
        // --8<-- [start:config]
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(security);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // --8<-- [end:config]
        return props;
    }

    /** One record, waited for: the broker's acknowledgement, with the offset it was written at. */
    public static RecordMetadata sendOne(Properties config, String topic, String value) throws Exception {
        try (Producer<String, String> producer = new KafkaProducer<>(config)) {
            return producer.send(new ProducerRecord<>(topic, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /** Creates a fresh topic (one partition) through the secured listener, and names it. */
    public static String newTopic(String bootstrapServers, Properties security, String prefix) throws Exception {
        String topic = Topics.uniqueName(prefix);
        try (Admin admin = Topics.admin(bootstrapServers, security)) {
            Topics.ensure(admin, 1, Map.of(), topic);
        }
        return topic;
    }

    /** What each example's main() does: a topic, one record, and where it landed. */
    static void run(String bootstrapServers, Properties security, String prefix) throws Exception {
        String topic = newTopic(bootstrapServers, security, prefix);
        RecordMetadata metadata = sendOne(config(bootstrapServers, security), topic, "hello, " + prefix);
        System.out.printf("written to %s-%d at offset %d%n", metadata.topic(), metadata.partition(), metadata.offset());
    }
}
