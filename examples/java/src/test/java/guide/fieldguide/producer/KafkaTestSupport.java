package guide.fieldguide.producer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Test helpers: unique topics, and bounded read-backs with a plain consumer. */
final class KafkaTestSupport {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");

    private KafkaTestSupport() {
    }

    static String uniqueName(String prefix) {
        return Topics.uniqueName(prefix);
    }

    static String newTopic(String prefix, int partitions) throws Exception {
        return newTopic(prefix, partitions, Map.of());
    }

    static String newTopic(String prefix, int partitions, Map<String, String> configs) throws Exception {
        String name = uniqueName(prefix);
        Topics.ensure(BOOTSTRAP_SERVERS, partitions, configs, name);
        return name;
    }

    /** Reads the topic from the beginning until {@code done} holds for what was read, or the timeout passes. */
    static List<ConsumerRecord<String, String>> readUntil(String topic, String isolationLevel,
            Predicate<List<ConsumerRecord<String, String>>> done, Duration timeout) {
        return readUntil(BOOTSTRAP_SERVERS, ClientConfig.security(), topic, isolationLevel, done, timeout);
    }

    /** The same, from another cluster, with its security settings. */
    static List<ConsumerRecord<String, String>> readUntil(String bootstrapServers, Properties security, String topic,
            String isolationLevel, Predicate<List<ConsumerRecord<String, String>>> done, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(security);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(seen) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            }
        }
        return seen;
    }

    static List<ConsumerRecord<String, String>> readCount(String topic, String isolationLevel, int count) {
        return readUntil(topic, isolationLevel, seen -> seen.size() >= count, Duration.ofSeconds(20));
    }
}
