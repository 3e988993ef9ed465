package guide.fieldguide.producer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/** The idempotent producer: the broker drops retried duplicates by producer id and sequence number. */
public final class IdempotentProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String TOPIC_PREFIX = "idempotent-producer"; // main() adds a unique suffix

    private IdempotentProducer() {
    }

    public static Properties config() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        // --8<-- [start:config]
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true); // the default since Kafka 3.0
        props.put(ProducerConfig.ACKS_CONFIG, "all");              // required: acks=0/1 is a ConfigException
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5); // at most 5
        // --8<-- [end:config]
        return props;
    }

    public static List<RecordMetadata> send(Producer<String, String> producer, String topic, int count)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<RecordMetadata> delivered = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            delivered.add(producer.send(new ProducerRecord<>(topic, "account-7", "deposit-" + i))
                    .get(10, TimeUnit.SECONDS));
        }
        return delivered;
    }

    /** The producers the partition leader tracks for deduplication (idempotent and transactional ones only). */
    public static List<ProducerState> activeProducers(Admin admin, TopicPartition partition)
            throws InterruptedException, ExecutionException, TimeoutException {
        // --8<-- [start:describe-producers]
        return admin.describeProducers(List.of(partition))
                .partitionResult(partition)
                .get(10, TimeUnit.SECONDS)
                .activeProducers();
        // --8<-- [end:describe-producers]
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName(TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 1, Map.of(), topic);
        try (Producer<String, String> producer = new KafkaProducer<>(config());
             Admin admin = Topics.admin(BOOTSTRAP_SERVERS)) {
            List<RecordMetadata> delivered = send(producer, topic, 3);
            System.out.printf("%d records, last offset %d%n", delivered.size(), delivered.get(2).offset());
            for (ProducerState state : activeProducers(admin, new TopicPartition(topic, 0))) {
                System.out.printf("producer id %d epoch %d last sequence %d%n", state.producerId(),
                        state.producerEpoch(), state.lastSequence());
            }
        }
    }
}
