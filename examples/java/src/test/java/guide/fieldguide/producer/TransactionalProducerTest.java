package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import guide.fieldguide.producer.TransactionalProducer.Outcome;
import guide.fieldguide.producer.TransactionalProducer.Result;

@Timeout(90)
class TransactionalProducerTest {

    private static Properties config() {
        Properties props = TransactionalProducer.config(KafkaTestSupport.uniqueName("order-processor"));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        return props;
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }

    private static boolean containsValue(List<ConsumerRecord<String, String>> records, String value) {
        return records.stream().anyMatch(r -> value.equals(r.value()));
    }

    @Test
    void committedTransactionIsVisibleToReadCommitted() throws Exception {
        String orders = KafkaTestSupport.newTopic("orders", 3);
        String audit = KafkaTestSupport.newTopic("audit", 3);
        try (KafkaProducer<String, String> producer = TransactionalProducer.start(config())) {
            Result result = TransactionalProducer.processOrder(producer, orders, audit, "order-1", "qty=5");
            assertEquals(Outcome.COMMITTED, result.outcome());
            assertNull(result.error());
        }
        List<ConsumerRecord<String, String>> orderRecords = KafkaTestSupport.readCount(orders, "read_committed", 1);
        List<ConsumerRecord<String, String>> auditRecords = KafkaTestSupport.readCount(audit, "read_committed", 1);
        assertEquals(List.of("qty=5"), values(orderRecords));
        assertEquals(List.of("accepted order-1"), values(auditRecords));
    }

    @Test
    void abortedTransactionIsInvisibleToReadCommittedOnly() throws Exception {
        String orders = KafkaTestSupport.newTopic("orders", 1);
        String audit = KafkaTestSupport.newTopic("audit", 1);
        try (KafkaProducer<String, String> producer = TransactionalProducer.start(config())) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(orders, "order-1", "aborted")).get(10, TimeUnit.SECONDS);
            producer.abortTransaction();
            // A committed marker after it: reading up to the marker proves what each isolation level skips.
            Result marker = TransactionalProducer.processOrder(producer, orders, audit, "order-2", "marker");
            assertEquals(Outcome.COMMITTED, marker.outcome());
        }
        List<ConsumerRecord<String, String>> committed = KafkaTestSupport.readUntil(orders, "read_committed",
                seen -> containsValue(seen, "marker"), Duration.ofSeconds(20));
        List<ConsumerRecord<String, String>> uncommitted = KafkaTestSupport.readUntil(orders, "read_uncommitted",
                seen -> containsValue(seen, "marker"), Duration.ofSeconds(20));
        assertEquals(List.of("marker"), values(committed));
        assertEquals(List.of("aborted", "marker"), values(uncommitted));
    }

    @Test
    void abortableErrorAbortsAndTheProducerCarriesOn() throws Exception {
        String orders = KafkaTestSupport.newTopic("orders", 1);
        String audit = KafkaTestSupport.newTopic("audit", 1);
        Properties props = config();
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer = TransactionalProducer.start(props)) {
            Result tooLarge = TransactionalProducer.processOrder(producer, orders, audit, "order-1", "x".repeat(20_000));
            assertEquals(Outcome.ABORTED, tooLarge.outcome());
            assertEquals(KafkaException.class, tooLarge.error().getClass(), "a plain KafkaException wraps it");
            assertInstanceOf(RecordTooLargeException.class, tooLarge.error().getCause());

            Result next = TransactionalProducer.processOrder(producer, orders, audit, "order-2", "qty=1");
            assertEquals(Outcome.COMMITTED, next.outcome());
        }
        List<ConsumerRecord<String, String>> committed = KafkaTestSupport.readUntil(audit, "read_committed",
                seen -> containsValue(seen, "accepted order-2"), Duration.ofSeconds(20));
        assertEquals(List.of("accepted order-2"), values(committed));
        assertEquals(List.of("qty=1"), values(KafkaTestSupport.readCount(orders, "read_committed", 1)));
    }

    @Test
    void secondProducerWithSameTransactionalIdFencesTheFirst() throws Exception {
        String orders = KafkaTestSupport.newTopic("orders", 1);
        String audit = KafkaTestSupport.newTopic("audit", 1);
        Properties props = config();
        KafkaProducer<String, String> first = TransactionalProducer.start(props);
        try (KafkaProducer<String, String> second = TransactionalProducer.start(props)) {
            Result result = TransactionalProducer.processOrder(first, orders, audit, "order-1", "from-first");
            assertEquals(Outcome.CLOSED, result.outcome());
            // Fenced before its first send: the 4.3.1 client reports the old epoch, not ProducerFencedException.
            assertEquals(InvalidProducerEpochException.class, result.error().getClass());
            // processOrder closed it: the fix for a fenced producer is a new producer, not a retry.
            assertThrows(IllegalStateException.class, () -> first.send(new ProducerRecord<>(orders, "k", "v")));

            Result fromSecond = TransactionalProducer.processOrder(second, orders, audit, "order-1", "from-second");
            assertEquals(Outcome.COMMITTED, fromSecond.outcome());
        } finally {
            first.close(Duration.ofSeconds(5));
        }
        List<ConsumerRecord<String, String>> committed = KafkaTestSupport.readUntil(orders, "read_committed",
                seen -> containsValue(seen, "from-second"), Duration.ofSeconds(20));
        assertEquals(List.of("from-second"), values(committed));
    }

    @Test
    void fencedProducerInTheMiddleOfATransaction() throws Exception {
        String orders = KafkaTestSupport.newTopic("orders", 1);
        Properties props = config();
        KafkaProducer<String, String> first = TransactionalProducer.start(props);
        try {
            first.beginTransaction();
            first.send(new ProducerRecord<>(orders, "order-1", "in-flight")).get(10, TimeUnit.SECONDS);
            try (KafkaProducer<String, String> second = TransactionalProducer.start(props)) {
                KafkaException e = assertThrows(KafkaException.class, first::commitTransaction);
                assertEquals(ProducerFencedException.class, e.getClass());
                // A fenced producer cannot even abort: close it.
                KafkaException abort = assertThrows(KafkaException.class, first::abortTransaction);
                assertEquals(ProducerFencedException.class, abort.getClass());
            }
        } finally {
            first.close(Duration.ofSeconds(5));
        }
        List<ConsumerRecord<String, String>> uncommitted = KafkaTestSupport.readCount(orders, "read_uncommitted", 1);
        List<ConsumerRecord<String, String>> committed = KafkaTestSupport.readUntil(orders, "read_committed",
                seen -> !seen.isEmpty(), Duration.ofSeconds(3));
        assertEquals(List.of("in-flight"), values(uncommitted));
        assertFalse(containsValue(committed, "in-flight"), "the new producer's init aborted it");
        assertTrue(committed.isEmpty());
    }

    @Test
    void javaConsumersDefaultToReadUncommitted() {
        assertEquals("read_uncommitted",
                ConsumerConfig.configDef().defaultValues().get(ConsumerConfig.ISOLATION_LEVEL_CONFIG));
    }

    private static int producerEpoch(Admin admin, String transactionalId) throws Exception {
        return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                .get(10, TimeUnit.SECONDS).producerEpoch();
    }

    /**
     * KIP-890's transaction protocol v2 bumps the producer epoch at the end of every transaction, committed or
     * aborted; v1 keeps the epoch that initTransactions() returned. The 4.3.1 client on the lab cluster
     * (transaction.version 2 finalized) shows one bump per transaction, so it runs v2.
     */
    @Test
    void javaClientRunsTransactionProtocolV2AndBumpsTheEpochAtEveryCommitAndAbort() throws Exception {
        String orders = KafkaTestSupport.newTopic("orders", 1);
        String audit = KafkaTestSupport.newTopic("audit", 1);
        String transactionalId = KafkaTestSupport.uniqueName("epoch-check");
        Properties props = TransactionalProducer.config(transactionalId);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        try (Admin admin = Topics.admin(KafkaTestSupport.BOOTSTRAP_SERVERS)) {
            FinalizedVersionRange version = admin.describeFeatures().featureMetadata().get(10, TimeUnit.SECONDS)
                    .finalizedFeatures().get("transaction.version");
            assertEquals(2, version.maxVersionLevel(), "the cluster offers transaction protocol v2");

            List<Integer> epochs = new ArrayList<>();
            try (KafkaProducer<String, String> producer = TransactionalProducer.start(props)) {
                epochs.add(producerEpoch(admin, transactionalId));
                for (String orderId : List.of("order-1", "order-2", "order-3")) {
                    Result result = TransactionalProducer.processOrder(producer, orders, audit, orderId, "qty=1");
                    assertEquals(Outcome.COMMITTED, result.outcome());
                    epochs.add(producerEpoch(admin, transactionalId));
                }
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(orders, "order-4", "aborted")).get(10, TimeUnit.SECONDS);
                producer.abortTransaction();
                epochs.add(producerEpoch(admin, transactionalId));

                Result afterAbort = TransactionalProducer.processOrder(producer, orders, audit, "order-5", "qty=2");
                assertEquals(Outcome.COMMITTED, afterAbort.outcome(), "the bumped epoch is the producer's own");
                epochs.add(producerEpoch(admin, transactionalId));
            }
            // A new transactional.id starts at epoch 0; then one bump per commit or abort.
            assertEquals(List.of(0, 1, 2, 3, 4, 5), epochs);
        }
        List<ConsumerRecord<String, String>> committed = KafkaTestSupport.readUntil(orders, "read_committed",
                seen -> containsValue(seen, "qty=2"), Duration.ofSeconds(20));
        assertEquals(List.of("qty=1", "qty=1", "qty=1", "qty=2"), values(committed));
    }

    /** The reference's catch blocks, verbatim in structure: the fencing error escapes from the abortable branch. */
    @Test
    void referenceCatchBlocksLetTheFencingErrorEscape() throws Exception {
        String orders = KafkaTestSupport.newTopic("orders", 1);
        String audit = KafkaTestSupport.newTopic("audit", 1);
        Properties props = config();
        KafkaProducer<String, String> first = TransactionalProducer.start(props);
        try (KafkaProducer<String, String> second = TransactionalProducer.start(props)) {
            ProducerFencedException escaped = assertThrows(ProducerFencedException.class, () -> {
                try {
                    first.beginTransaction();
                    first.send(new ProducerRecord<>(orders, "key1", "order-data"));
                    first.send(new ProducerRecord<>(audit, "key1", "audit-data"));
                    first.commitTransaction();
                } catch (ProducerFencedException | OutOfOrderSequenceException e) {
                    first.close();
                } catch (KafkaException e) {
                    // Reached with InvalidProducerEpochException; abortTransaction() then throws.
                    assertEquals(InvalidProducerEpochException.class, e.getClass());
                    first.abortTransaction();
                }
            });
            assertTrue(escaped.getMessage().contains("fences the current one"), escaped.getMessage());
        } finally {
            first.close(Duration.ofSeconds(5));
        }
    }
}
