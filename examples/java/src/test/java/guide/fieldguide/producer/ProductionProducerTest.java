package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import guide.fieldguide.producer.ProductionProducer.Failure;
import guide.fieldguide.producer.ProductionProducer.Outcome;
import guide.fieldguide.producer.ProductionProducer.Verdict;

@Timeout(120)
class ProductionProducerTest {
    private static final String BOOTSTRAP = KafkaTestSupport.BOOTSTRAP_SERVERS;

    @Test
    void everyRecordIsDeliveredAndReadBackOnceInOrderPerKey() throws Exception {
        String topic = KafkaTestSupport.newTopic("orders", 3, ProductionProducer.TOPIC_CONFIG);
        ProductionProducer producer = new ProductionProducer(ProductionProducer.config(BOOTSTRAP));
        for (int i = 0; i < 1000; i++) {
            String key = "customer-" + (i % 10);
            producer.send(topic, key, key + ":" + (i / 10));
        }
        Outcome outcome = producer.close(Duration.ofSeconds(30));
        assertEquals(1000, outcome.delivered());
        assertEquals(List.of(), outcome.failed());

        List<ConsumerRecord<String, String>> read = KafkaTestSupport.readCount(topic, "read_committed", 1000);
        assertEquals(1000, read.size());
        Map<String, List<Integer>> sequences = new HashMap<>();
        Map<String, Set<Integer>> partitions = new HashMap<>();
        for (ConsumerRecord<String, String> record : read) {
            int sequence = Integer.parseInt(record.value().substring(record.value().indexOf(':') + 1));
            sequences.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(sequence);
            partitions.computeIfAbsent(record.key(), k -> new HashSet<>()).add(record.partition());
        }
        List<Integer> expected = java.util.stream.IntStream.range(0, 100).boxed().toList();
        assertEquals(10, sequences.size());
        sequences.forEach((key, seen) -> assertEquals(expected, seen, key + ": once each, in order"));
        partitions.forEach((key, seen) -> assertEquals(1, seen.size(), key + " stays on one partition"));
    }

    @Test
    void failuresAreClassifiedByExceptionType() {
        assertEquals(Verdict.DEAD_LETTER, ProductionProducer.classify(new RecordTooLargeException("x"), false));
        assertEquals(Verdict.DEAD_LETTER, ProductionProducer.classify(new InvalidRecordException("x"), false));
        assertEquals(Verdict.RETRY_LATER, ProductionProducer.classify(new TimeoutException("x"), false));
        assertEquals(Verdict.RETRY_LATER, ProductionProducer.classify(new NotEnoughReplicasException("x"), false));
        assertEquals(Verdict.RETRY_LATER, ProductionProducer.classify(new BufferExhaustedException("x"), false));
        assertEquals(Verdict.RETRY_LATER,
                ProductionProducer.classify(new UnknownTopicOrPartitionException("x"), false));
        assertEquals(Verdict.STOP, ProductionProducer.classify(new TopicAuthorizationException("x"), false));
        assertEquals(Verdict.STOP, ProductionProducer.classify(new KafkaException("x"), false));
        assertEquals(Verdict.RETRY_LATER, ProductionProducer.classify(new KafkaException("x"), true));
    }

    /** A producer_byte_rate quota on the producer's client.id: the brokers take its records a trickle at a time. */
    private static void quota(String clientId, Double bytesPerSecond) throws Exception {
        ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId));
        ClientQuotaFilter filter = ClientQuotaFilter.containsOnly(
                List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, clientId)));
        try (Admin admin = Topics.admin(BOOTSTRAP)) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity,
                    List.of(new ClientQuotaAlteration.Op("producer_byte_rate", bytesPerSecond))))).all()
                    .get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                Double seen = admin.describeClientQuotas(filter).entities().get(30, TimeUnit.SECONDS)
                        .getOrDefault(entity, Map.of()).get("producer_byte_rate");
                if (bytesPerSecond == null ? seen == null : bytesPerSecond.equals(seen)) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("quota for " + clientId + " not in place after 30 s");
        }
    }

    @Test
    void aBoundedCloseFailsWhatTheBrokersDidNotTakeAndReportsEveryRecord() throws Exception {
        String topic = KafkaTestSupport.newTopic("orders-throttled", 3, ProductionProducer.TOPIC_CONFIG);
        String clientId = "throttled-" + UUID.randomUUID();
        quota(clientId, 1024.0);
        int records = 300;
        Set<String> sent = new HashSet<>();
        Outcome outcome;
        try {
            Properties config = ProductionProducer.config(BOOTSTRAP);
            config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
            ProductionProducer producer = new ProductionProducer(config);
            for (int i = 0; i < records; i++) {
                String value = i + ":" + UUID.randomUUID().toString().repeat(250); // ~9 kB, poorly compressible
                sent.add(value);
                producer.send(topic, "k" + (i % 10), value);
            }
            outcome = producer.close(Duration.ofSeconds(3));
        } finally {
            quota(clientId, null);
        }

        assertTrue(outcome.took().compareTo(Duration.ofSeconds(6)) < 0, "close returned near its bound: "
                + outcome.took());
        assertEquals(records, outcome.delivered() + outcome.failed().size(), "every record delivered or failed");
        assertFalse(outcome.failed().isEmpty(), "the throttled brokers could not take 2.7 MB in 3 s");
        for (Failure failure : outcome.failed()) {
            assertEquals(Verdict.RETRY_LATER, failure.verdict(), String.valueOf(failure.error()));
            assertEquals(KafkaException.class, failure.error().getClass());
            assertEquals("Producer is closed forcefully.", failure.error().getMessage());
        }
        Set<String> failed = outcome.failed().stream().map(Failure::value).collect(Collectors.toSet());
        Set<String> stored = KafkaTestSupport.readUntil(topic, "read_uncommitted", seen -> false,
                Duration.ofSeconds(5)).stream().map(ConsumerRecord::value).collect(Collectors.toSet());
        Set<String> delivered = new HashSet<>(sent);
        delivered.removeAll(failed);
        assertEquals(outcome.delivered(), delivered.size());
        assertTrue(stored.containsAll(delivered), "every record reported delivered is stored");
        System.out.printf("throttled close: %d delivered, %d failed, %d stored, in %s%n", outcome.delivered(),
                failed.size(), stored.size(), outcome.took());
    }
}
