import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A producer whose broker throttles it (a producer_byte_rate quota on its client.id), so that what
 * it buffers is never drained in time.
 *
 *   quota BOOTSTRAP CLIENT_ID RATE   set producer_byte_rate (bytes/s) for that client.id
 *   quota BOOTSTRAP CLIENT_ID none   remove it
 *   fill  BOOTSTRAP TOPIC CLIENT_ID  send 10 kB records with buffer.memory=1 MiB, max.block.ms=1500
 *                                     until one send() call blocks; print what happened to that record
 *
 * fill prints "key TAB value" lines: accepted (records whose send() returned at once), blocked_ms
 * (how long the send() that found the buffer full took), thrown (what send() threw, or "nothing"),
 * future and callback (the exception class and message each reported for that record).
 */
public class Throttle {
    public static void main(String[] args) {
        try {
            if (args[0].equals("quota")) {
                quota(args[1], args[2], args[3]);
            } else {
                fill(args[1], args[2], args[3]);
            }
        } catch (Exception e) {
            e.printStackTrace();  // the source launcher fails on a stack trace it cannot trim
            System.exit(1);
        }
    }

    static void quota(String bootstrap, String clientId, String rate) throws Exception {
        ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId));
        Double value = rate.equals("none") ? null : Double.valueOf(rate);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
                    entity, List.of(new ClientQuotaAlteration.Op("producer_byte_rate", value))))).all().get(30, TimeUnit.SECONDS);
            ClientQuotaFilter filter = ClientQuotaFilter.containsOnly(
                    List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, clientId)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                Map<ClientQuotaEntity, Map<String, Double>> seen = admin.describeClientQuotas(filter).entities().get(30, TimeUnit.SECONDS);
                Double current = seen.getOrDefault(entity, Map.of()).get("producer_byte_rate");
                if (value == null ? current == null : value.equals(current)) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("quota not visible after 30 s: " + seen);
                }
                Thread.sleep(100);
            }
        }
        System.out.println("quota\t" + rate);
    }

    static void fill(String bootstrap, String topic, String clientId) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 1024 * 1024);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1500);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        byte[] value = new byte[10_000];
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        try {
            producer.partitionsFor(topic);  // metadata first: its wait must not count as blocking for memory
            AtomicReference<Exception> callback = new AtomicReference<>();
            int accepted = 0;
            long started = System.nanoTime();
            while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(60) && accepted < 20_000) {
                long t0 = System.nanoTime();
                Future<RecordMetadata> future;
                String thrown = "nothing";
                try {
                    future = producer.send(new ProducerRecord<>(topic, value), (md, e) -> {
                        if (e != null) {
                            callback.compareAndSet(null, e);
                        }
                    });
                } catch (Exception e) {
                    future = null;
                    thrown = e.getClass().getName() + ": " + e.getMessage();
                }
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                if (ms < 500 && future != null && !future.isDone()) {
                    accepted++;
                    continue;
                }
                System.out.println("accepted\t" + accepted);
                System.out.println("blocked_ms\t" + ms);
                System.out.println("thrown\t" + thrown);
                String outcome = "none";
                if (future != null) {
                    try {
                        future.get(5, TimeUnit.SECONDS);
                        outcome = "delivered";
                    } catch (ExecutionException e) {
                        outcome = e.getCause().getClass().getName() + ": " + e.getCause().getMessage();
                    }
                }
                System.out.println("future\t" + outcome);
                Exception cb = callback.get();
                System.out.println("callback\t" + (cb == null ? "none" : cb.getClass().getName() + ": " + cb.getMessage()));
                return;
            }
            System.out.println("accepted\t" + accepted);
            System.out.println("blocked_ms\tnever");
        } finally {
            producer.close(Duration.ZERO);
        }
    }
}
