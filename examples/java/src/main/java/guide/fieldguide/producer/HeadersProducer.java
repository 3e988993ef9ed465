package guide.fieldguide.producer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/** Headers: metadata as byte arrays next to the key and value. */
public final class HeadersProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String TOPIC_PREFIX = "headers-producer"; // main() adds a unique suffix

    private HeadersProducer() {
    }

    public static Properties config() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        return props;
    }

    public static RecordMetadata sendWithHeaders(Producer<String, String> producer, String topic, String correlationId)
            throws InterruptedException, ExecutionException, TimeoutException {
        // --8<-- [start:headers]
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, "order-42", "created");
        record.headers()
                .add("correlation-id", correlationId.getBytes(StandardCharsets.UTF_8))
                .add("source", "order-service".getBytes(StandardCharsets.UTF_8))
                .add("schema-version", new byte[] {0, 2});
        RecordMetadata metadata = producer.send(record).get(10, TimeUnit.SECONDS);
        // --8<-- [end:headers]
        return metadata;
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName(TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 1, Map.of(), topic);
        try (Producer<String, String> producer = new KafkaProducer<>(config())) {
            RecordMetadata metadata = sendWithHeaders(producer, topic, "abc-123");
            System.out.printf("Sent with headers to %s-%d @ %d%n", metadata.topic(), metadata.partition(),
                    metadata.offset());
        }
    }
}
