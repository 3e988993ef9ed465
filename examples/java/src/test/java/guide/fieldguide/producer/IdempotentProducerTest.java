package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class IdempotentProducerTest {

    @Test
    void idempotentProducerIsTrackedByTheBroker() throws Exception {
        String topic = KafkaTestSupport.newTopic("idempotent", 1);
        List<RecordMetadata> delivered;
        try (Producer<String, String> producer = new KafkaProducer<>(IdempotentProducer.config())) {
            delivered = IdempotentProducer.send(producer, topic, 5);
        }
        assertEquals(5, delivered.size());
        for (int i = 1; i < delivered.size(); i++) {
            assertTrue(delivered.get(i).offset() > delivered.get(i - 1).offset());
        }
        List<ProducerState> producers = activeProducers(topic);
        assertEquals(1, producers.size());
        assertTrue(producers.get(0).producerId() >= 0);
        assertEquals(4, producers.get(0).lastSequence(), "sequence numbers 0..4");
    }

    @Test
    void explicitIdempotenceWithAcks1IsRejectedAtConstruction() {
        for (String acks : List.of("1", "0")) {
            Properties props = IdempotentProducer.config();
            props.put(ProducerConfig.ACKS_CONFIG, acks);
            ConfigException e = assertThrows(ConfigException.class, () -> new KafkaProducer<String, String>(props));
            assertTrue(e.getMessage().contains("Must set acks to all in order to use the idempotent producer"),
                    e.getMessage());
        }
    }

    @Test
    void explicitIdempotenceWithZeroRetriesIsRejectedAtConstruction() {
        Properties props = IdempotentProducer.config();
        props.put(ProducerConfig.RETRIES_CONFIG, 0);
        ConfigException e = assertThrows(ConfigException.class, () -> new KafkaProducer<String, String>(props));
        assertTrue(e.getMessage().contains("Must set retries to non-zero when using the idempotent producer"),
                e.getMessage());
    }

    @Test
    void defaultedIdempotenceIsSilentlyDisabledByAcks1() throws Exception {
        String idempotentTopic = KafkaTestSupport.newTopic("idem-default", 1);
        String acks1Topic = KafkaTestSupport.newTopic("idem-acks1", 1);
        // No enable.idempotence, no acks: idempotent by default.
        try (Producer<String, String> producer = new KafkaProducer<>(BasicProducer.config())) {
            IdempotentProducer.send(producer, idempotentTopic, 2);
        }
        // No enable.idempotence, acks=1: constructed without error, and not idempotent.
        Properties acks1 = BasicProducer.config();
        acks1.put(ProducerConfig.ACKS_CONFIG, "1");
        List<RecordMetadata> delivered;
        try (Producer<String, String> producer = new KafkaProducer<>(acks1)) {
            delivered = IdempotentProducer.send(producer, acks1Topic, 2);
        }
        assertEquals(2, delivered.size());
        assertEquals(1, activeProducers(idempotentTopic).size(), "default producer has a producer id");
        assertEquals(0, activeProducers(acks1Topic).size(), "acks=1 producer has none: idempotence is off");
    }

    @Test
    void moreThanFiveInFlightIsRejectedEvenWhenIdempotenceIsOnlyDefaulted() {
        Properties props = BasicProducer.config();
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 6);
        ConfigException e = assertThrows(ConfigException.class, () -> new KafkaProducer<String, String>(props));
        assertTrue(e.getMessage().contains("must be set to at most 5"), e.getMessage());

        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        new KafkaProducer<String, String>(props).close();
    }

    @Test
    void transactionalIdWithIdempotenceDisabledIsRejected() {
        Properties props = TransactionalProducer.config(KafkaTestSupport.uniqueName("txn"));
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        ConfigException e = assertThrows(ConfigException.class, () -> new KafkaProducer<String, String>(props));
        assertTrue(e.getMessage().contains("Cannot set a transactional.id without also enabling idempotence"),
                e.getMessage());
    }

    private static List<ProducerState> activeProducers(String topic) throws Exception {
        try (Admin admin = Topics.admin(KafkaTestSupport.BOOTSTRAP_SERVERS)) {
            return IdempotentProducer.activeProducers(admin, new TopicPartition(topic, 0));
        }
    }
}
