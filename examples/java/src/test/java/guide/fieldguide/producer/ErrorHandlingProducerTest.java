package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import guide.fieldguide.producer.ErrorHandlingProducer.DeadLetter;
import guide.fieldguide.producer.ErrorHandlingProducer.Failure;

@Timeout(60)
class ErrorHandlingProducerTest {

    private static String header(ConsumerRecord<String, String> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    private static ConsumerRecord<String, String> readOneDeadLetter(String deadLetterTopic) {
        List<ConsumerRecord<String, String>> read = KafkaTestSupport.readCount(deadLetterTopic, "read_uncommitted", 1);
        assertEquals(1, read.size());
        return read.get(0);
    }

    @Test
    void recordAboveMaxRequestSizeGoesToTheDeadLetterTopic() throws Exception {
        String topic = KafkaTestSupport.newTopic("payments", 1);
        String deadLetterTopic = KafkaTestSupport.newTopic("payments-dlt", 1);
        Properties config = ErrorHandlingProducer.config();
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 10_000);
        try (ErrorHandlingProducer producer =
                     new ErrorHandlingProducer(config, ErrorHandlingProducer.config(), deadLetterTopic)) {
            producer.send(topic, "payment-1", "{\"amount\": 10}");
            producer.send(topic, "payment-2", "x".repeat(20_000));
            producer.flush();

            assertEquals(1, producer.delivered().size());
            assertEquals(List.of(), producer.deadLetterFailures());
            List<DeadLetter> deadLetters = producer.deadLetters();
            assertEquals(1, deadLetters.size());
            assertEquals(Failure.TOO_LARGE, deadLetters.get(0).failure());
            assertEquals(RecordTooLargeException.class, deadLetters.get(0).error().getClass());
            assertTrue(deadLetters.get(0).error().getMessage().contains("max.request.size"));
        }
        ConsumerRecord<String, String> dead = readOneDeadLetter(deadLetterTopic);
        assertEquals("payment-2", dead.key());
        assertNull(dead.value(), "the payload is dropped: it would not fit in the dead-letter topic either");
        assertEquals(topic, header(dead, "dlt.original.topic"));
        assertEquals("TOO_LARGE", header(dead, "dlt.failure"));
        assertEquals(RecordTooLargeException.class.getName(), header(dead, "dlt.exception"));
    }

    @Test
    void recordAboveTheTopicMaxMessageBytesIsAlsoRecordTooLarge() throws Exception {
        String topic = KafkaTestSupport.newTopic("payments-small", 1, Map.of("max.message.bytes", "2048"));
        String deadLetterTopic = KafkaTestSupport.newTopic("payments-dlt", 1);
        try (ErrorHandlingProducer producer = new ErrorHandlingProducer(ErrorHandlingProducer.config(),
                ErrorHandlingProducer.config(), deadLetterTopic)) {
            producer.send(topic, "payment-3", "x".repeat(4_000)); // under max.request.size: the broker rejects it
            producer.flush();

            List<DeadLetter> deadLetters = producer.deadLetters();
            assertEquals(1, deadLetters.size());
            assertEquals(Failure.TOO_LARGE, deadLetters.get(0).failure());
            assertEquals(RecordTooLargeException.class, deadLetters.get(0).error().getClass());
            assertTrue(deadLetters.get(0).error().getMessage().contains("the server will accept"));
        }
        assertEquals("TOO_LARGE", header(readOneDeadLetter(deadLetterTopic), "dlt.failure"));
    }

    @Test
    void missingTopicIsARetriableTimeoutNotUnknownTopic() throws Exception {
        String deadLetterTopic = KafkaTestSupport.newTopic("payments-dlt", 1);
        String missing = KafkaTestSupport.uniqueName("never-created"); // auto-creation is off
        Properties config = ErrorHandlingProducer.config();
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_500);
        try (ErrorHandlingProducer producer =
                     new ErrorHandlingProducer(config, ErrorHandlingProducer.config(), deadLetterTopic)) {
            producer.send(missing, "payment-4", "{\"amount\": 4}");
            producer.flush();

            List<DeadLetter> deadLetters = producer.deadLetters();
            assertEquals(1, deadLetters.size());
            assertEquals(Failure.RETRIABLE, deadLetters.get(0).failure());
            assertEquals(TimeoutException.class, deadLetters.get(0).error().getClass());
        }
        ConsumerRecord<String, String> dead = readOneDeadLetter(deadLetterTopic);
        assertEquals("{\"amount\": 4}", dead.value(), "retriable failures keep their payload for a replay");
        assertEquals(missing, header(dead, "dlt.original.topic"));
        assertEquals(TimeoutException.class.getName(), header(dead, "dlt.exception"));
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void serializationErrorsAreThrownBySendNotPassedToTheCallback() throws Exception {
        String topic = KafkaTestSupport.newTopic("payments", 1);
        AtomicInteger callbacks = new AtomicInteger();
        try (Producer producer = new KafkaProducer<String, String>(ErrorHandlingProducer.config())) {
            ProducerRecord wrongType = new ProducerRecord(topic, "payment-5", 42); // Integer to a StringSerializer
            SerializationException e = assertThrows(SerializationException.class,
                    () -> producer.send(wrongType, (metadata, exception) -> callbacks.incrementAndGet()));
            assertTrue(e.getMessage().contains(StringSerializer.class.getName()), e.getMessage());
        }
        assertEquals(0, callbacks.get());
    }

    @Test
    void exceptionHierarchyOfThe431Client() {
        // Not retriable, and classified before the retriable check.
        assertFalse(RetriableException.class.isAssignableFrom(RecordTooLargeException.class));
        assertTrue(ApiException.class.isAssignableFrom(RecordTooLargeException.class));
        assertFalse(RetriableException.class.isAssignableFrom(AuthorizationException.class));
        assertTrue(InvalidConfigurationException.class.isAssignableFrom(AuthorizationException.class));
        assertFalse(ApiException.class.isAssignableFrom(SerializationException.class));
        // Retriable, including UnknownTopicOrPartitionException.
        for (Class<?> retriable : List.of(TimeoutException.class, NetworkException.class,
                NotLeaderOrFollowerException.class, UnknownTopicOrPartitionException.class,
                NotEnoughReplicasException.class)) {
            assertTrue(RetriableException.class.isAssignableFrom(retriable), retriable.getName());
        }
        // The Kafka 4.x categories (KIP-1050).
        assertTrue(ApplicationRecoverableException.class.isAssignableFrom(ProducerFencedException.class));
        assertTrue(ApplicationRecoverableException.class.isAssignableFrom(InvalidProducerEpochException.class));
        assertFalse(RetriableException.class.isAssignableFrom(TransactionAbortableException.class));

        assertEquals(Failure.TOO_LARGE, ErrorHandlingProducer.classify(new RecordTooLargeException("big")));
        assertEquals(Failure.AUTHORIZATION,
                ErrorHandlingProducer.classify(new TopicAuthorizationException("denied")));
        assertEquals(Failure.RETRIABLE, ErrorHandlingProducer.classify(new NotEnoughReplicasException("isr")));
        assertEquals(Failure.OTHER, ErrorHandlingProducer.classify(new ProducerFencedException("fenced")));
        assertInstanceOf(RetriableException.class, new TimeoutException("t"));
    }
}
