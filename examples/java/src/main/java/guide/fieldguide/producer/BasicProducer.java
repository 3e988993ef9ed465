package guide.fieldguide.producer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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

/** The three ways to send: fire-and-forget, synchronous, asynchronous with a callback. */
public final class BasicProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String TOPIC_PREFIX = "basic-producer"; // main() adds a unique suffix

    private BasicProducer() {
    }

    public static Properties config() {
        // --8<-- [start:config]
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        // --8<-- [end:config]
        return props;
    }

    /** Sends without looking at the result: failures are never seen. */
    public static void fireAndForget(Producer<String, String> producer, String topic, int count) {
        // --8<-- [start:fire-and-forget]
        for (int i = 0; i < count; i++) {
            producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i));
        }
        producer.flush();
        // --8<-- [end:fire-and-forget]
    }

    /** Blocks on each send until the broker acknowledges it. */
    public static List<RecordMetadata> sendSync(Producer<String, String> producer, String topic, int count)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<RecordMetadata> delivered = new ArrayList<>();
        // --8<-- [start:sync]
        for (int i = 0; i < count; i++) {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, "order-42", "event-" + i);
            RecordMetadata metadata = producer.send(record).get(10, TimeUnit.SECONDS);
            System.out.printf("Sent to %s-%d @ %d%n", metadata.topic(), metadata.partition(), metadata.offset());
            delivered.add(metadata);
        }
        // --8<-- [end:sync]
        return delivered;
    }

    /** Sends without blocking; the callback reports each outcome. */
    public static List<RecordMetadata> sendAsync(Producer<String, String> producer, String topic, int count) {
        List<RecordMetadata> delivered = Collections.synchronizedList(new ArrayList<>());
        List<Exception> failed = Collections.synchronizedList(new ArrayList<>());
        // --8<-- [start:async]
        for (int i = 0; i < count; i++) {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, "order-42", "event-" + i);
            producer.send(record, (metadata, exception) -> {
                if (exception != null) {
                    System.err.printf("Delivery failed: %s%n", exception);
                    failed.add(exception);
                } else {
                    delivered.add(metadata);
                }
            });
        }
        producer.flush(); // callbacks have all run when flush() returns
        // --8<-- [end:async]
        if (!failed.isEmpty()) {
            throw new IllegalStateException(failed.size() + " record(s) failed", failed.get(0));
        }
        return List.copyOf(delivered);
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName(TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 3, Map.of(), topic);
        try (Producer<String, String> producer = new KafkaProducer<>(config())) {
            fireAndForget(producer, topic, 3);
            sendSync(producer, topic, 3);
            System.out.printf("%d delivered asynchronously%n", sendAsync(producer, topic, 3).size());
        }
    }
}
