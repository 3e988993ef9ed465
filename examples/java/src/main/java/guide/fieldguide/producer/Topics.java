package guide.fieldguide.producer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

/** Setup shared by the examples: topic auto-creation is off on the lab cluster, so topics are created explicitly. */
public final class Topics {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private Topics() {
    }

    /** A topic name no other run uses: {@code prefix} plus a short random suffix. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** An admin client with the settings of $KAFKA_CLIENT_CONFIG, when set (see ClientConfig). */
    public static Admin admin(String bootstrapServers) {
        return admin(bootstrapServers, ClientConfig.security());
    }

    /** An admin client with extra settings, e.g. a SASL login. */
    public static Admin admin(String bootstrapServers, Properties extra) {
        Properties props = new Properties();
        props.putAll(extra);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return Admin.create(props);
    }

    /** Creates the topics (if missing) with RF = min(3, brokers) and waits until every partition has a full ISR. */
    public static void ensure(String bootstrapServers, int partitions, Map<String, String> configs, String... names)
            throws InterruptedException, ExecutionException, TimeoutException {
        try (Admin admin = admin(bootstrapServers)) {
            ensure(admin, partitions, configs, names);
        }
    }

    public static void ensure(Admin admin, int partitions, Map<String, String> configs, String... names)
            throws InterruptedException, ExecutionException, TimeoutException {
        int brokers = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
        short replicationFactor = (short) Math.min(3, brokers);
        for (String name : names) {
            NewTopic topic = new NewTopic(name, partitions, replicationFactor).configs(configs);
            try {
                admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            awaitReady(admin, name, partitions, replicationFactor);
        }
    }

    private static void awaitReady(Admin admin, String name, int partitions, int replicationFactor)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                TopicDescription description =
                        admin.describeTopics(List.of(name)).allTopicNames().get(10, TimeUnit.SECONDS).get(name);
                List<TopicPartitionInfo> infos = description.partitions();
                boolean ready = infos.size() == partitions && infos.stream().allMatch(
                        p -> p.leader() != null && !p.leader().isEmpty() && p.isr().size() == replicationFactor);
                if (ready) {
                    return;
                }
            } catch (ExecutionException e) {
                // Metadata not propagated yet: try again.
            }
            Thread.sleep(200);
        }
        throw new TimeoutException("topic " + name + " not ready after " + READY_TIMEOUT);
    }
}
