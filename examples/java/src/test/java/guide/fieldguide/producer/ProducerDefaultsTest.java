package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The defaults of the 4.3.1 Java client, as its ConfigDef declares them. */
class ProducerDefaultsTest {

    @Test
    void defaultsOfTheJavaClient() {
        Map<String, Object> defaults = ProducerConfig.configDef().defaultValues();
        assertEquals("all", defaults.get(ProducerConfig.ACKS_CONFIG));
        assertEquals(true, defaults.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals(Integer.MAX_VALUE, defaults.get(ProducerConfig.RETRIES_CONFIG));
        assertEquals(100L, defaults.get(ProducerConfig.RETRY_BACKOFF_MS_CONFIG));
        assertEquals(1000L, defaults.get(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
        assertEquals(120_000, defaults.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        assertEquals(30_000, defaults.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
        assertEquals(16_384, defaults.get(ProducerConfig.BATCH_SIZE_CONFIG));
        assertEquals(5L, defaults.get(ProducerConfig.LINGER_MS_CONFIG), "5 ms since Kafka 4.0 (was 0)");
        assertEquals(33_554_432L, defaults.get(ProducerConfig.BUFFER_MEMORY_CONFIG));
        assertEquals(60_000L, defaults.get(ProducerConfig.MAX_BLOCK_MS_CONFIG));
        assertEquals(5, defaults.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
        assertEquals(1_048_576, defaults.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
        assertEquals("none", defaults.get(ProducerConfig.COMPRESSION_TYPE_CONFIG));
        assertEquals(null, defaults.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG));
        assertEquals(60_000, defaults.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
    }
}
