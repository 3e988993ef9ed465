package guide.fieldguide.producer;

import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.StringSerializer;

/** A transaction that writes an order and its audit record atomically, with the 4.x error handling. */
public final class TransactionalProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String ORDERS_TOPIC_PREFIX = "orders"; // main() adds a unique suffix
    static final String AUDIT_TOPIC_PREFIX = "audit";
    static final String TRANSACTIONAL_ID = "order-processor-1";

    /** What happened to one transaction, and to the producer. */
    public enum Outcome {
        COMMITTED, // records visible to read_committed consumers
        ABORTED,   // records discarded; the producer can run the next transaction
        CLOSED     // fatal error: the producer was closed, create a new one
    }

    public record Result(Outcome outcome, KafkaException error) {
    }

    private TransactionalProducer() {
    }

    public static Properties config(String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        // --8<-- [start:config]
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId); // implies enable.idempotence=true
        // --8<-- [end:config]
        return props;
    }

    public static KafkaProducer<String, String> start(Properties props) {
        // --8<-- [start:init]
        KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        producer.initTransactions(); // fences older producers with the same transactional.id
        // --8<-- [end:init]
        return producer;
    }

    public static Result processOrder(Producer<String, String> producer, String ordersTopic, String auditTopic,
                                      String orderId, String order) {
        // --8<-- [start:transaction]
        try {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(ordersTopic, orderId, order));
            producer.send(new ProducerRecord<>(auditTopic, orderId, "accepted " + orderId));
            producer.commitTransaction();
            return new Result(Outcome.COMMITTED, null);
        } catch (ProducerFencedException | InvalidProducerEpochException | InvalidPidMappingException
                 | OutOfOrderSequenceException | AuthorizationException | UnsupportedVersionException e) {
            producer.close(); // fatal: this instance can never send again
            return new Result(Outcome.CLOSED, e);
        } catch (KafkaException e) {
            try {
                producer.abortTransaction(); // abortable: discard, then retry or move on
                return new Result(Outcome.ABORTED, e);
            } catch (KafkaException fatal) {
                producer.close(); // the error was fatal after all
                return new Result(Outcome.CLOSED, fatal);
            }
        }
        // --8<-- [end:transaction]
    }

    public static void main(String[] args) throws Exception {
        String ordersTopic = Topics.uniqueName(ORDERS_TOPIC_PREFIX);
        String auditTopic = Topics.uniqueName(AUDIT_TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 3, Map.of(), ordersTopic, auditTopic);
        Producer<String, String> producer = start(config(TRANSACTIONAL_ID));
        try {
            for (String orderId : new String[] {"order-1", "order-2", "order-3"}) {
                Result result = processOrder(producer, ordersTopic, auditTopic, orderId, "{\"qty\": 5}");
                System.out.printf("%s: %s%n", orderId, result.outcome());
                if (result.outcome() == Outcome.CLOSED) {
                    return;
                }
            }
        } finally {
            producer.close();
        }
    }
}
