package guide.fieldguide.producer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.StringSerializer;

/** The producer's own metrics (KafkaProducer.metrics()), and the few an operator graphs. */
public final class MonitoringProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String TOPIC_PREFIX = "monitoring-producer"; // main() adds a unique suffix

    // --8<-- [start:watched]
    static final List<String> WATCHED = List.of(
            "record-queue-time-avg", // ms a record waited in the producer before it was sent
            "request-latency-avg",
            "requests-in-flight",
            "record-error-rate", // records failed per second: alert when above 0
            "record-retry-rate",
            "buffer-available-bytes", // free room in buffer.memory; at 0, send() blocks
            "bufferpool-wait-ratio");

    static Map<String, Double> watchedMetrics(Producer<?, ?> producer) {
        Map<String, Double> numbers = new LinkedHashMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : producer.metrics().entrySet()) {
            MetricName name = e.getKey();
            if (name.group().equals("producer-metrics") && WATCHED.contains(name.name())) {
                numbers.put(name.name(), ((Number) e.getValue().metricValue()).doubleValue());
            }
        }
        return numbers;
    }
    // --8<-- [end:watched]

    private MonitoringProducer() {
    }

    public static Properties config() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        return props;
    }

    /** Send `count` records, flush, and read the watched metrics. */
    public static Map<String, Double> sendAndMeasure(Producer<String, String> producer, String topic, int count) {
        for (int i = 0; i < count; i++) {
            producer.send(new ProducerRecord<>(topic, "order-" + i, "created"));
        }
        producer.flush();
        return watchedMetrics(producer);
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName(TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 1, Map.of(), topic);
        try (Producer<String, String> producer = new KafkaProducer<>(config())) {
            System.out.println(sendAndMeasure(producer, topic, 200));
        }
    }
}
