package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MonitoringProducerTest {

    @Test
    void theWatchedMetricsExistWithTheseNames() throws Exception {
        String topic = KafkaTestSupport.newTopic("monitoring", 1);
        Map<String, Double> numbers;
        Map<String, Double> empty;
        try (Producer<String, String> producer = new KafkaProducer<>(MonitoringProducer.config())) {
            numbers = MonitoringProducer.sendAndMeasure(producer, topic, 200);
            // The sender thread completes the records' futures (which ends flush()) before it frees their
            // buffer and records the request's latency: read again until it has, for at most 10 s.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!settled(numbers) && System.nanoTime() < deadline) {
                Thread.sleep(20);
                numbers = MonitoringProducer.watchedMetrics(producer);
            }
            empty = MonitoringProducer.watchedMetrics(producer);
        }
        assertEquals(Set.copyOf(MonitoringProducer.WATCHED), empty.keySet(),
                "every watched metric exists in group producer-metrics");
        assertEquals(0.0, numbers.get("record-error-rate"));
        assertEquals(0.0, numbers.get("requests-in-flight"));
        assertTrue(numbers.get("request-latency-avg") > 0.0, "request latency measured");
        assertEquals(33554432.0, numbers.get("buffer-available-bytes"), "flushed: all of buffer.memory is free");
        assertEquals(200, KafkaTestSupport.readCount(topic, "read_uncommitted", 200).size());
    }

    private static boolean settled(Map<String, Double> numbers) {
        return numbers.get("buffer-available-bytes") == 33554432.0 && numbers.get("request-latency-avg") > 0.0;
    }
}
