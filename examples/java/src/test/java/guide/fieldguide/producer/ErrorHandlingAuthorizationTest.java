package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import guide.fieldguide.producer.ErrorHandlingProducer.Failure;

/**
 * A write without a WRITE ACL, on a cluster with SASL/PLAIN logins and an authorizer.
 *
 * <p>Needs KAFKA_SECURE_BOOTSTRAP_SERVERS and the credentials (tests/java/test_java_examples.py passes them,
 * together with KAFKA_SECURE_REQUIRED=true, which turns a missing cluster into a failure). Without them, in a
 * plain {@code mvn test}, these tests are skipped.
 */
@Timeout(60)
class ErrorHandlingAuthorizationTest {
    private static final Map<String, String> ENV = System.getenv();
    private static final String SECURE_BOOTSTRAP = ENV.get("KAFKA_SECURE_BOOTSTRAP_SERVERS");
    private static final String ADMIN_USER = ENV.getOrDefault("KAFKA_SECURE_ADMIN_USER", "admin");
    private static final String ADMIN_PASSWORD = ENV.get("KAFKA_SECURE_ADMIN_PASSWORD");
    private static final String DENIED_USER = ENV.get("KAFKA_SECURE_DENIED_USER");
    private static final String DENIED_PASSWORD = ENV.get("KAFKA_SECURE_DENIED_PASSWORD");

    @BeforeEach
    void secureClusterIsConfigured() {
        boolean configured = SECURE_BOOTSTRAP != null && ADMIN_PASSWORD != null && DENIED_USER != null
                && DENIED_PASSWORD != null;
        if (configured) {
            return;
        }
        String missing = "KAFKA_SECURE_BOOTSTRAP_SERVERS, KAFKA_SECURE_ADMIN_PASSWORD, KAFKA_SECURE_DENIED_USER"
                + " and KAFKA_SECURE_DENIED_PASSWORD must all be set";
        if (Boolean.parseBoolean(ENV.get("KAFKA_SECURE_REQUIRED"))) {
            fail(missing);
        }
        Assumptions.abort("no SASL/ACL cluster: " + missing);
    }

    private static Properties producerConfig(String user, String password) {
        Properties config = ErrorHandlingProducer.config(SECURE_BOOTSTRAP);
        config.putAll(ErrorHandlingProducer.saslPlain(user, password));
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        return config;
    }

    private static Admin admin() {
        return Topics.admin(SECURE_BOOTSTRAP, ErrorHandlingProducer.saslPlain(ADMIN_USER, ADMIN_PASSWORD));
    }

    private static String newSecureTopic(Admin admin, String prefix) throws Exception {
        String name = Topics.uniqueName(prefix);
        Topics.ensure(admin, 1, Map.of(), name);
        return name;
    }

    private static long endOffset(Admin admin, String topic) throws Exception {
        TopicPartition partition = new TopicPartition(topic, 0);
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                .get(10, TimeUnit.SECONDS).offset();
    }

    /** The super user writes to the topic: the cluster, the login and the topic work. */
    private static void adminWrites(String topic) throws Exception {
        try (Producer<String, String> producer = new KafkaProducer<>(producerConfig(ADMIN_USER, ADMIN_PASSWORD))) {
            RecordMetadata metadata = producer.send(new ProducerRecord<>(topic, "payment-0", "{\"amount\": 0}"))
                    .get(10, TimeUnit.SECONDS);
            assertEquals(0, metadata.offset());
        }
    }

    @Test
    void writeWithoutAclIsAFatalAuthorizationErrorAndIsNotDeadLettered() throws Exception {
        try (Admin admin = admin()) {
            String topic = newSecureTopic(admin, "payments-secure");
            String deadLetterTopic = newSecureTopic(admin, "payments-dlt");
            adminWrites(topic);

            Properties deadLetterConfig = producerConfig(ADMIN_USER, ADMIN_PASSWORD);
            try (ErrorHandlingProducer producer = new ErrorHandlingProducer(
                    producerConfig(DENIED_USER, DENIED_PASSWORD), deadLetterConfig, deadLetterTopic)) {
                producer.send(topic, "payment-6", "{\"amount\": 6}"); // returns normally
                producer.flush();

                Exception error = producer.fatalError();
                assertInstanceOf(TopicAuthorizationException.class, error);
                assertEquals(TopicAuthorizationException.class, error.getClass());
                assertEquals(Set.of(topic), ((TopicAuthorizationException) error).unauthorizedTopics());
                assertFalse(error instanceof RetriableException);
                assertEquals(Failure.AUTHORIZATION, ErrorHandlingProducer.classify(error));
                assertEquals(List.of(), producer.delivered());
                assertEquals(List.of(), producer.deadLetters());
                assertEquals(List.of(), producer.deadLetterFailures());

                IllegalStateException stopped = assertThrows(IllegalStateException.class,
                        () -> producer.send(topic, "payment-7", "{\"amount\": 7}"));
                assertSame(error, stopped.getCause());
            }
            assertEquals(1, endOffset(admin, topic), "only the super user's record is in the topic");
            assertEquals(0, endOffset(admin, deadLetterTopic), "nothing was dead-lettered");
        }
    }

    @Test
    void authorizationErrorCompletesTheFutureItIsNotThrownBySend() throws Exception {
        try (Admin admin = admin()) {
            String topic = newSecureTopic(admin, "payments-secure");
            adminWrites(topic);
            try (Producer<String, String> producer =
                         new KafkaProducer<>(producerConfig(DENIED_USER, DENIED_PASSWORD))) {
                long start = System.nanoTime();
                Future<RecordMetadata> future = producer.send(new ProducerRecord<>(topic, "payment-8", "{}"));
                ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
                long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(TopicAuthorizationException.class, e.getCause().getClass());
                assertTrue(elapsedMs < 10_000, "not retried until delivery.timeout.ms: " + elapsedMs + " ms");
            }
            assertEquals(1, endOffset(admin, topic));
        }
    }

    /** Grants {@code user} DESCRIBE, but not WRITE, on the topic, and waits until the user sees the topic. */
    private static void grantDescribeOnly(Admin admin, String topic, String user, String password) throws Exception {
        AccessControlEntry describe =
                new AccessControlEntry("User:" + user, "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW);
        admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                describe))).all().get(10, TimeUnit.SECONDS);
        try (Admin asUser = Topics.admin(SECURE_BOOTSTRAP, ErrorHandlingProducer.saslPlain(user, password))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (true) {
                try {
                    asUser.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicAuthorizationException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
        }
    }

    /** Sends one record; returns the error, whether send() threw it or the future completed with it. */
    private static Throwable sendError(Producer<String, String> producer, String topic) throws Exception {
        Future<RecordMetadata> future;
        try {
            future = producer.send(new ProducerRecord<>(topic, "payment-9", "{}"));
        } catch (KafkaException thrown) {
            return thrown;
        }
        return assertThrows(ExecutionException.class, () -> future.get(20, TimeUnit.SECONDS)).getCause();
    }

    private static Throwable authorizationCause(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof AuthorizationException) {
                return t;
            }
        }
        return fail("no AuthorizationException in " + error, error);
    }

    @Test
    void describeWithoutWriteIsAClusterAuthorizationErrorForTheIdempotentProducer() throws Exception {
        try (Admin admin = admin()) {
            String topic = newSecureTopic(admin, "payments-secure");
            adminWrites(topic);
            grantDescribeOnly(admin, topic, DENIED_USER, DENIED_PASSWORD);
            // Idempotence is on by default: the producer id needs WRITE on some topic (or IDEMPOTENT_WRITE).
            try (Producer<String, String> producer =
                         new KafkaProducer<>(producerConfig(DENIED_USER, DENIED_PASSWORD))) {
                Throwable error = sendError(producer, topic); // thrown by send() or in the future: timing decides
                Throwable first = authorizationCause(error);
                assertEquals(ClusterAuthorizationException.class, first.getClass());
                assertFalse(first instanceof RetriableException);
                assertEquals(Failure.AUTHORIZATION, ErrorHandlingProducer.classify((Exception) first));
            }
            assertEquals(1, endOffset(admin, topic));
        }
    }

    @Test
    void describeWithoutWriteIsATopicAuthorizationErrorWithoutIdempotence() throws Exception {
        try (Admin admin = admin()) {
            String topic = newSecureTopic(admin, "payments-secure");
            adminWrites(topic);
            grantDescribeOnly(admin, topic, DENIED_USER, DENIED_PASSWORD);
            Properties config = producerConfig(DENIED_USER, DENIED_PASSWORD);
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
            try (Producer<String, String> producer = new KafkaProducer<>(config)) {
                Future<RecordMetadata> future = producer.send(new ProducerRecord<>(topic, "payment-11", "{}"));
                ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(20, TimeUnit.SECONDS));
                assertEquals(TopicAuthorizationException.class, e.getCause().getClass());
                assertEquals(Set.of(topic), ((TopicAuthorizationException) e.getCause()).unauthorizedTopics());
                assertEquals(Failure.AUTHORIZATION, ErrorHandlingProducer.classify((Exception) e.getCause()));
            }
            assertEquals(1, endOffset(admin, topic));
        }
    }
}
