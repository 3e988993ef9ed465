package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BasicProducerTest {

    @Test
    void fireAndForgetRecordsCanBeReadBack() throws Exception {
        String topic = KafkaTestSupport.newTopic("basic-ff", 3);
        try (Producer<String, String> producer = new KafkaProducer<>(BasicProducer.config())) {
            BasicProducer.fireAndForget(producer, topic, 10);
        }
        List<ConsumerRecord<String, String>> read = KafkaTestSupport.readCount(topic, "read_uncommitted", 10);
        Set<String> keys = read.stream().map(ConsumerRecord::key).collect(Collectors.toSet());
        assertEquals(10, read.size());
        assertEquals(10, keys.size());
    }

    @Test
    void synchronousSendsReturnIncreasingOffsets() throws Exception {
        String topic = KafkaTestSupport.newTopic("basic-sync", 3);
        List<RecordMetadata> delivered;
        try (Producer<String, String> producer = new KafkaProducer<>(BasicProducer.config())) {
            delivered = BasicProducer.sendSync(producer, topic, 5);
        }
        assertDeliveredInOrder(topic, delivered, 5);
    }

    @Test
    void asynchronousCallbacksReportEveryRecord() throws Exception {
        String topic = KafkaTestSupport.newTopic("basic-async", 3);
        List<RecordMetadata> delivered;
        try (Producer<String, String> producer = new KafkaProducer<>(BasicProducer.config())) {
            delivered = BasicProducer.sendAsync(producer, topic, 20);
        }
        assertDeliveredInOrder(topic, delivered, 20);
        assertEquals(20, KafkaTestSupport.readCount(topic, "read_uncommitted", 20).size());
    }

    /** One key, so one partition, and callbacks of one partition run in send order. */
    private static void assertDeliveredInOrder(String topic, List<RecordMetadata> delivered, int count) {
        assertEquals(count, delivered.size());
        assertEquals(1, delivered.stream().map(RecordMetadata::partition).distinct().count());
        for (int i = 0; i < count; i++) {
            RecordMetadata metadata = delivered.get(i);
            assertEquals(topic, metadata.topic());
            assertTrue(metadata.hasOffset());
            assertTrue(metadata.offset() >= 0);
            if (i > 0) {
                assertTrue(metadata.offset() > delivered.get(i - 1).offset(), "offsets increase");
            }
        }
    }
}
