package guide.fieldguide.producer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/** Where records go: records without a key stick to one partition for at least batch.size bytes, then move on. */
public final class PartitioningProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String TOPIC_PREFIX = "keyless"; // main() adds a unique suffix
    static final int RECORDS = 600;
    static final String VALUE = "x".repeat(100);

    private PartitioningProducer() {
    }

    public static Properties config() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        // --8<-- [start:adaptive]
        props.put(ProducerConfig.PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE_CONFIG, true); // default
        props.put(ProducerConfig.PARTITIONER_AVAILABILITY_TIMEOUT_MS_CONFIG, 0); // default: 0 = never skip a partition
        // --8<-- [end:adaptive]
        return props;
    }

    /** Sends {@code count} records without a key and returns the partition of each, in the order they were sent. */
    public static List<Integer> sendWithoutKey(Producer<String, String> producer, String topic, int count, String value)
            throws InterruptedException, ExecutionException, TimeoutException {
        // --8<-- [start:keyless]
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sent.add(producer.send(new ProducerRecord<>(topic, value))); // no key: the partitioner chooses
        }
        List<Integer> partitions = new ArrayList<>();
        for (Future<RecordMetadata> future : sent) {
            partitions.add(future.get(30, TimeUnit.SECONDS).partition());
        }
        // --8<-- [end:keyless]
        return partitions;
    }

    /** Lengths of the runs of consecutive records that went to the same partition. */
    public static List<Integer> runs(List<Integer> partitions) {
        List<Integer> runs = new ArrayList<>();
        for (int i = 0; i < partitions.size(); i++) {
            if (i == 0 || !partitions.get(i).equals(partitions.get(i - 1))) {
                runs.add(0);
            }
            runs.set(runs.size() - 1, runs.get(runs.size() - 1) + 1);
        }
        return runs;
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName(TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 3, Map.of(), topic);
        try (Producer<String, String> producer = new KafkaProducer<>(config())) {
            List<Integer> partitions = sendWithoutKey(producer, topic, RECORDS, VALUE);
            Map<Integer, Integer> perPartition = new TreeMap<>();
            partitions.forEach(p -> perPartition.merge(p, 1, Integer::sum));
            System.out.printf("%s: records per partition %s, runs on one partition %s%n", topic, perPartition,
                    runs(partitions));
        }
    }
}
