package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keyed records go where murmur2 of the key says. Records without a key: the built-in partitioner (KIP-480, KIP-794)
 * keeps a partition until it has taken at least batch.size bytes, then switches to another one chosen at random,
 * favouring partitions with shorter queues.
 */
@Timeout(90)
class PartitioningProducerTest {
    private static final int PARTITIONS = 3;
    private static final int MAX_RECORD_OVERHEAD = 21; // bytes a record adds to its value in format v2, at most

    /** Fewest records of {@code value} that add up to {@code bytes}, counting the largest possible record overhead. */
    private static int recordsFor(int bytes, String value) {
        return (int) Math.ceil((double) bytes / (value.length() + MAX_RECORD_OVERHEAD));
    }

    @Test
    void keyedRecordsGoWhereMurmur2OfTheKeySays() throws Exception {
        String topic = KafkaTestSupport.newTopic("keys", 6);
        Map<String, Integer> landed = new HashMap<>();
        try (Producer<String, String> producer = new KafkaProducer<>(PartitioningProducer.config())) {
            for (int i = 0; i < 24; i++) {
                String key = "order-" + i;
                landed.put(key, producer.send(new ProducerRecord<>(topic, key, "event")).get(10, TimeUnit.SECONDS)
                        .partition());
            }
        }
        for (Map.Entry<String, Integer> entry : landed.entrySet()) {
            byte[] key = entry.getKey().getBytes(StandardCharsets.UTF_8);
            assertEquals(Utils.toPositive(Utils.murmur2(key)) % 6, entry.getValue(), entry.getKey());
        }
        assertEquals(4, landed.get("order-1"), "where kafka-python's murmur2 puts it too");
    }

    @Test
    void keylessDefaultsOfTheJavaClient() {
        Map<String, Object> defaults = ProducerConfig.configDef().defaultValues();
        assertNull(defaults.get(ProducerConfig.PARTITIONER_CLASS_CONFIG), "null: the built-in partitioner");
        assertEquals(true, defaults.get(ProducerConfig.PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE_CONFIG));
        assertEquals(0L, defaults.get(ProducerConfig.PARTITIONER_AVAILABILITY_TIMEOUT_MS_CONFIG));
        assertEquals(false, defaults.get(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG));
        assertEquals(16_384, defaults.get(ProducerConfig.BATCH_SIZE_CONFIG));
    }

    @Test
    void theOldStickyPartitionerClassesAreGoneFromThe4xClient() {
        for (String name : List.of("org.apache.kafka.clients.producer.internals.DefaultPartitioner",
                "org.apache.kafka.clients.producer.UniformStickyPartitioner")) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name), name);
        }
    }

    @Test
    void keylessRecordsStayOnOnePartitionForAtLeastBatchSizeBytes() throws Exception {
        String topic = KafkaTestSupport.newTopic("keyless", PARTITIONS);
        List<Integer> partitions;
        try (Producer<String, String> producer = new KafkaProducer<>(PartitioningProducer.config())) {
            partitions = PartitioningProducer.sendWithoutKey(producer, topic, PartitioningProducer.RECORDS, PartitioningProducer.VALUE);
        }
        List<Integer> runs = PartitioningProducer.runs(partitions);
        assertEquals(PartitioningProducer.RECORDS, runs.stream().mapToInt(Integer::intValue).sum());
        int atLeast = recordsFor(16_384, PartitioningProducer.VALUE);
        // Every run but the last (cut short by the end of the burst) carried at least batch.size bytes.
        for (int run : runs.subList(0, runs.size() - 1)) {
            assertTrue(run >= atLeast, "run of " + run + " records, expected >= " + atLeast + ": " + runs);
        }
    }

    @Test
    void overManySwitchesEveryPartitionGetsKeylessRecords() throws Exception {
        String topic = KafkaTestSupport.newTopic("keyless", PARTITIONS);
        Properties props = PartitioningProducer.config();
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 1_024); // a switch every ~1 KB: many switches in a short test
        List<Integer> partitions;
        try (Producer<String, String> producer = new KafkaProducer<>(props)) {
            partitions = PartitioningProducer.sendWithoutKey(producer, topic, 1_200, PartitioningProducer.VALUE);
        }
        List<Integer> runs = PartitioningProducer.runs(partitions);
        int atLeast = recordsFor(1_024, PartitioningProducer.VALUE);
        for (int run : runs.subList(0, runs.size() - 1)) {
            assertTrue(run >= atLeast, "run of " + run + " records, expected >= " + atLeast + ": " + runs);
        }
        Set<Integer> used = new TreeSet<>(partitions);
        assertEquals(Set.of(0, 1, 2), used, "every partition got keyless records");
    }
}
