package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class HeadersProducerTest {

    @Test
    void headersRoundTripAsBytes() throws Exception {
        String topic = KafkaTestSupport.newTopic("headers", 1);
        RecordMetadata metadata;
        try (Producer<String, String> producer = new KafkaProducer<>(HeadersProducer.config())) {
            metadata = HeadersProducer.sendWithHeaders(producer, topic, "abc-123");
        }
        List<ConsumerRecord<String, String>> read = KafkaTestSupport.readCount(topic, "read_uncommitted", 1);
        assertEquals(1, read.size());
        ConsumerRecord<String, String> record = read.get(0);
        assertEquals(metadata.offset(), record.offset());
        assertEquals(List.of("correlation-id", "source", "schema-version"),
                Arrays.stream(record.headers().toArray()).map(Header::key).toList());
        assertArrayEquals("abc-123".getBytes(StandardCharsets.UTF_8),
                record.headers().lastHeader("correlation-id").value());
        assertArrayEquals("order-service".getBytes(StandardCharsets.UTF_8),
                record.headers().lastHeader("source").value());
        assertArrayEquals(new byte[] {0, 2}, record.headers().lastHeader("schema-version").value());
    }
}
