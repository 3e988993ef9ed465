package guide.fieldguide.producer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The producer to ship: the reliable settings, failures classified by exception type, back-pressure from
 * buffer.memory, callbacks on the I/O thread, and a bounded close that accounts for every record.
 */
public final class ProductionProducer implements AutoCloseable {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    /** With three replicas: an acknowledged record is on at least two brokers. */
    static final Map<String, String> TOPIC_CONFIG =
            Map.of("min.insync.replicas", "2", "unclean.leader.election.enable", "false");

    public enum Verdict {
        RETRY_LATER, // the record is fine, the cluster was not: keep it and send it again later
        DEAD_LETTER, // the record itself is refused: park it in a dead-letter topic
        STOP         // configuration, permissions or a fatal error: stop producing and alert
    }

    public record Failure(String key, String value, Exception error, Verdict verdict) {
    }

    /** What became of every record given to send(): delivered, or in failed with its verdict. */
    public record Outcome(long delivered, List<Failure> failed, Duration took) {
    }

    private final Producer<String, String> producer;
    private final AtomicLong delivered = new AtomicLong();
    private final List<Failure> failed = Collections.synchronizedList(new ArrayList<>());
    private volatile Exception stoppedBy;
    private volatile boolean closing;

    public ProductionProducer(Properties config) {
        this.producer = new KafkaProducer<>(config);
    }

    public static Properties config(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        // --8<-- [start:settings]
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        props.put(ProducerConfig.RETRIES_CONFIG, "2147483647");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // --8<-- [end:settings]
        return props;
    }

    // --8<-- [start:classify]
    static Verdict classify(Exception error, boolean closing) {
        if (error instanceof RecordTooLargeException || error instanceof InvalidRecordException
                || error instanceof InvalidTimestampException) {
            return Verdict.DEAD_LETTER;
        }
        if (error instanceof RetriableException) { // also the TimeoutException of delivery.timeout.ms
            return Verdict.RETRY_LATER;
        }
        if (closing && error.getClass() == KafkaException.class) { // failed by close(timeout)
            return Verdict.RETRY_LATER;
        }
        return Verdict.STOP; // an error you did not plan for is not retried blindly
    }
    // --8<-- [end:classify]

    // --8<-- [start:send]
    /** Blocks up to max.block.ms while buffer.memory is full: the client's own back-pressure. */
    public void send(String topic, String key, String value) {
        if (stoppedBy != null) {
            throw new IllegalStateException("producer stopped after " + stoppedBy + ": fix that first", stoppedBy);
        }
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> onCompletion(key, value, error));
    }
    // --8<-- [end:send]

    // --8<-- [start:report]
    // Runs on the producer's I/O thread: quick, and thread-safe.
    private void onCompletion(String key, String value, Exception error) {
        if (error == null) {
            delivered.incrementAndGet();
            return;
        }
        Verdict verdict = classify(error, closing);
        failed.add(new Failure(key, value, error, verdict));
        if (verdict == Verdict.STOP && stoppedBy == null) {
            stoppedBy = error;
        }
    }
    // --8<-- [end:report]

    // --8<-- [start:close]
    /** Waits at most {@code timeout}, then fails what is left: every record ends delivered or in failed. */
    public Outcome close(Duration timeout) {
        long started = System.nanoTime();
        closing = true;
        producer.close(timeout); // the callbacks of the records it gave up on run before it returns
        return new Outcome(delivered.get(), List.copyOf(failed), Duration.ofNanos(System.nanoTime() - started));
    }
    // --8<-- [end:close]

    public Exception stoppedBy() {
        return stoppedBy;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName("orders");
        Topics.ensure(BOOTSTRAP_SERVERS, 3, TOPIC_CONFIG, topic);
        // --8<-- [start:use]
        ProductionProducer producer = new ProductionProducer(config(BOOTSTRAP_SERVERS));
        Outcome outcome;
        try {
            for (int i = 0; i < 1000; i++) {
                String key = "customer-" + (i % 10);
                producer.send(topic, key, key + ":" + (i / 10));
            }
        } finally {
            outcome = producer.close(Duration.ofSeconds(30));
        }
        for (Failure failure : outcome.failed()) { // in a service: a retry store, a dead-letter topic, an alert
            System.out.printf("not delivered: %s %s: %s%n", failure.key(), failure.error(), failure.verdict());
        }
        // --8<-- [end:use]
        System.out.printf("%d delivered, %d failed in %s%n", outcome.delivered(), outcome.failed().size(),
                outcome.took());
    }
}
