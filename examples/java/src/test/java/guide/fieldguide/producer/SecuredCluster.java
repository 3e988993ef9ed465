package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Assumptions;

/**
 * One of kafkalab's secured lab clusters, named by KAFKA_{MODE}_BOOTSTRAP_SERVERS and KAFKA_{MODE}_CLIENT_CONFIG
 * (the client.properties kafkalab wrote for it), MODE one of TLS, MTLS, SCRAM, OAUTHBEARER, or TLS_WRONG_HOST and
 * TLS_EXPIRED (TLS brokers whose certificate names another host, or has expired). The pytest wrapper
 * (examples/java/test_java_examples.py) starts them all and sets KAFKA_SECURED_REQUIRED=true, which turns a
 * missing cluster into a failure; a plain {@code mvn test} without them skips these tests.
 */
record SecuredCluster(String mode, String bootstrapServers, Path clientConfigFile) {
    private static final Map<String, String> ENV = System.getenv();

    static SecuredCluster of(String mode) {
        String bootstrap = ENV.get("KAFKA_" + mode + "_BOOTSTRAP_SERVERS");
        String file = ENV.get("KAFKA_" + mode + "_CLIENT_CONFIG");
        if (bootstrap == null || file == null) {
            String missing = "KAFKA_" + mode + "_BOOTSTRAP_SERVERS and KAFKA_" + mode + "_CLIENT_CONFIG must be set";
            if (Boolean.parseBoolean(ENV.get("KAFKA_SECURED_REQUIRED"))) {
                fail(missing);
            }
            Assumptions.abort("no " + mode + " cluster: " + missing);
        }
        return new SecuredCluster(mode, bootstrap, Path.of(file));
    }

    static String env(String name) {
        String value = ENV.get(name);
        if (value == null) {
            fail(name + " must be set");
        }
        return value;
    }

    /** The settings kafkalab wrote for this cluster, read as the connection contract reads them. */
    Properties clientProperties() {
        return ClientConfig.load(clientConfigFile);
    }

    String newTopic(String prefix) throws Exception {
        return SecuredProducer.newTopic(bootstrapServers, clientProperties(), prefix);
    }

    /**
     * The settings a page shows are this cluster's client.properties, key for key, and both write: one record
     * with each (offsets 0 and 1 of a new topic), read back in that order.
     */
    void assertShownSettingsWrite(Properties shown, String topicPrefix) throws Exception {
        Properties file = clientProperties();
        assertEquals(file, shown);
        String topic = newTopic(topicPrefix);
        RecordMetadata first = SecuredProducer.sendOne(SecuredProducer.config(bootstrapServers, shown), topic, "shown");
        RecordMetadata second = SecuredProducer.sendOne(SecuredProducer.config(bootstrapServers, file), topic, "file");
        assertEquals(List.of(0L, 1L), List.of(first.offset(), second.offset()));
        assertEquals(List.of("0:shown", "1:file"), readBack(topic, 2));
    }

    /** "offset:value" of the topic's records, read from the beginning with the cluster's own settings. */
    List<String> readBack(String topic, int count) {
        return KafkaTestSupport.readUntil(bootstrapServers, clientProperties(), topic, "read_committed",
                        seen -> seen.size() >= count, Duration.ofSeconds(30))
                .stream().map(r -> r.offset() + ":" + r.value()).collect(Collectors.toList());
    }

    /** A failed write: what the producer threw (unwrapped from the future), and how long it took to say so. */
    record Refusal(Throwable error, Duration took) {
        /** The error and its causes, one per line. */
        String causes() {
            StringBuilder out = new StringBuilder();
            for (Throwable e = error; e != null; e = e.getCause()) {
                out.append(e).append('\n');
            }
            return out.toString();
        }
    }

    /**
     * The write is refused: by the constructor (a setting it cannot use) or by the record, timed from the
     * producer's construction until it says why (its close is not counted).
     */
    Refusal refusedWrite(Properties security, String topic) throws InterruptedException {
        Properties config = SecuredProducer.config(bootstrapServers, security);
        long start = System.nanoTime();
        Producer<String, String> producer;
        try {
            producer = new KafkaProducer<>(config);
        } catch (KafkaException e) {
            return refusal(e, start);
        }
        try (producer) { // closed after the refusal is timed: a catch of this try would run after the close
            try {
                producer.send(new ProducerRecord<>(topic, "refused")).get(90, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                return refusal(e.getCause(), start);
            } catch (KafkaException | TimeoutException e) {
                return refusal(e, start);
            }
        }
        return fail("the write was accepted");
    }

    private Refusal refusal(Throwable error, long start) {
        Refusal refusal = new Refusal(error, Duration.ofNanos(System.nanoTime() - start));
        System.out.printf("java %s: %s after %d ms; the error and its causes:%n%s", mode,
                error.getClass().getSimpleName(), refusal.took().toMillis(), refusal.causes());
        return refusal;
    }
}
