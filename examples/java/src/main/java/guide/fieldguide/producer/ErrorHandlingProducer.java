package guide.fieldguide.producer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;

/** A delivery callback that classifies failures and routes failed records to a dead-letter topic. */
public final class ErrorHandlingProducer implements AutoCloseable {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String TOPIC_PREFIX = "payments"; // main() adds a unique suffix
    static final String DEAD_LETTER_TOPIC_PREFIX = "payments-dlt";

    public enum Failure { RETRIABLE, TOO_LARGE, AUTHORIZATION, OTHER }

    /** A record routed to the dead-letter topic, and where it landed there. */
    public record DeadLetter(String originalTopic, String key, Failure failure, Exception error,
                             RecordMetadata deadLetterMetadata) {
    }

    private final Producer<String, String> producer;
    private final Producer<String, String> deadLetterProducer;
    private final String deadLetterTopic;
    private final List<RecordMetadata> delivered = Collections.synchronizedList(new ArrayList<>());
    private final List<DeadLetter> deadLetters = Collections.synchronizedList(new ArrayList<>());
    private final List<Exception> deadLetterFailures = Collections.synchronizedList(new ArrayList<>());
    private volatile Exception fatalError;

    public ErrorHandlingProducer(Properties config, Properties deadLetterConfig, String deadLetterTopic) {
        this.producer = new KafkaProducer<>(config);
        this.deadLetterProducer = new KafkaProducer<>(deadLetterConfig);
        this.deadLetterTopic = deadLetterTopic;
    }

    public static Properties config() {
        return config(BOOTSTRAP_SERVERS);
    }

    public static Properties config(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000); // bounds all retries of a record
        return props;
    }

    /** The login for a listener with security.protocol SASL_PLAINTEXT and the PLAIN mechanism. */
    public static Properties saslPlain(String username, String password) {
        Properties props = new Properties();
        // --8<-- [start:sasl-plain]
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"" + username + "\" password=\"" + password + "\";");
        // --8<-- [end:sasl-plain]
        return props;
    }

    // --8<-- [start:classify]
    public static Failure classify(Exception exception) {
        if (exception instanceof RecordTooLargeException) {
            return Failure.TOO_LARGE;     // not retriable: the same bytes will never fit
        }
        if (exception instanceof AuthorizationException) {
            return Failure.AUTHORIZATION; // not retriable: fix the ACLs
        }
        if (exception instanceof RetriableException) {
            return Failure.RETRIABLE;     // the client already retried until delivery.timeout.ms
        }
        return Failure.OTHER;
    }
    // --8<-- [end:classify]

    public void send(String topic, String key, String value) {
        if (fatalError != null) {
            throw new IllegalStateException("stopped after a fatal error", fatalError);
        }
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, value);
        // --8<-- [start:send]
        producer.send(record, (metadata, exception) -> onCompletion(record, metadata, exception));
        // --8<-- [end:send]
    }

    // --8<-- [start:callback]
    private void onCompletion(ProducerRecord<String, String> record, RecordMetadata metadata, Exception exception) {
        if (exception == null) {
            delivered.add(metadata);
            return;
        }
        Failure failure = classify(exception);
        if (failure == Failure.AUTHORIZATION) {
            fatalError = exception; // stop producing and alert
        } else {
            sendToDeadLetter(record, failure, exception);
        }
    }
    // --8<-- [end:callback]

    // --8<-- [start:dead-letter]
    private void sendToDeadLetter(ProducerRecord<String, String> record, Failure failure, Exception exception) {
        // A record that is too large would be too large for the dead-letter topic as well: keep key and headers.
        String value = failure == Failure.TOO_LARGE ? null : record.value();
        ProducerRecord<String, String> dead = new ProducerRecord<>(deadLetterTopic, record.key(), value);
        for (Header header : record.headers()) {
            dead.headers().add(header);
        }
        dead.headers()
                .add("dlt.original.topic", utf8(record.topic()))
                .add("dlt.failure", utf8(failure.name()))
                .add("dlt.exception", utf8(exception.getClass().getName()))
                .add("dlt.message", utf8(String.valueOf(exception.getMessage())));
        // A second producer: the callback runs on the first one's I/O thread, which must not wait on itself.
        deadLetterProducer.send(dead, (metadata, error) -> {
            if (error != null) {
                deadLetterFailures.add(error);
            } else {
                deadLetters.add(new DeadLetter(record.topic(), record.key(), failure, exception, metadata));
            }
        });
    }
    // --8<-- [end:dead-letter]

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Waits for every send, then for every dead-letter send. */
    public void flush() {
        producer.flush();
        deadLetterProducer.flush();
    }

    public List<RecordMetadata> delivered() {
        return List.copyOf(delivered);
    }

    public List<DeadLetter> deadLetters() {
        return List.copyOf(deadLetters);
    }

    public List<Exception> deadLetterFailures() {
        return List.copyOf(deadLetterFailures);
    }

    public Exception fatalError() {
        return fatalError;
    }

    @Override
    public void close() {
        producer.close();
        deadLetterProducer.close();
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName(TOPIC_PREFIX);
        String deadLetterTopic = Topics.uniqueName(DEAD_LETTER_TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 1, Map.of(), topic, deadLetterTopic);
        Properties config = config();
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 10_000);
        try (ErrorHandlingProducer producer = new ErrorHandlingProducer(config, config(), deadLetterTopic)) {
            producer.send(topic, "payment-1", "{\"amount\": 10}");
            producer.send(topic, "payment-2", "x".repeat(20_000));
            producer.flush();
            System.out.printf("delivered %d, dead-lettered %s%n", producer.delivered().size(),
                    producer.deadLetters().stream().map(DeadLetter::failure).toList());
        }
    }
}
