package guide.fieldguide.producer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Avro values through the schema registry with Apicurio's own serdes (Confluent's are not on Maven Central). */
public final class SchemaRegistryProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    /** The registry's Confluent-compatible API, the URL the Python examples use. */
    static final String SCHEMA_REGISTRY_URL =
            System.getenv().getOrDefault("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7");
    static final String TOPIC_PREFIX = "orders-avro-java"; // main() adds a unique suffix

    // --8<-- [start:schema]
    static final Schema ORDER_SCHEMA = new Schema.Parser().parse("""
            {"type": "record", "name": "OrderPlaced", "namespace": "shop.orders",
             "fields": [{"name": "order_id", "type": "string"}, {"name": "quantity", "type": "int"}]}
            """);
    // --8<-- [end:schema]

    private SchemaRegistryProducer() {
    }

    /** Apicurio's serdes speak the registry's own API (v2), which the same server serves beside ccompat. */
    static String registryApiUrl() {
        return SCHEMA_REGISTRY_URL.replaceFirst("/apis/ccompat/v\\d+/?$", "/apis/registry/v2");
    }

    /** The serde settings; {@code confluentFormat} false leaves Apicurio's defaults. */
    static Map<String, Object> serdeConfig(boolean confluentFormat) {
        if (!confluentFormat) {
            return Map.of(SerdeConfig.REGISTRY_URL, registryApiUrl(), SerdeConfig.AUTO_REGISTER_ARTIFACT, true);
        }
        // --8<-- [start:serde]
        return Map.of(
                SerdeConfig.REGISTRY_URL, registryApiUrl(),
                SerdeConfig.AUTO_REGISTER_ARTIFACT, true,
                SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER, true, // a 4-byte id after the magic byte, not 8
                SerdeConfig.USE_ID, "contentId",               // the id the Confluent-compatible API answers
                SerdeConfig.ENABLE_HEADERS, false);            // the id in the value, not in record headers
        // --8<-- [end:serde]
    }

    public static Properties producerConfig(boolean confluentFormat) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security()); // $KAFKA_CLIENT_CONFIG, when set
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroKafkaSerializer.class);
        props.putAll(serdeConfig(confluentFormat));
        return props;
    }

    public static Properties consumerConfig(String groupId) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroKafkaDeserializer.class);
        props.putAll(serdeConfig(true));
        return props;
    }

    public static GenericRecord order(String orderId, int quantity) {
        GenericRecord order = new GenericData.Record(ORDER_SCHEMA);
        order.put("order_id", orderId);
        order.put("quantity", quantity);
        return order;
    }

    public static List<RecordMetadata> send(Producer<String, GenericRecord> producer, String topic,
            List<GenericRecord> orders) throws Exception {
        // --8<-- [start:produce]
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (GenericRecord order : orders) {
            sends.add(producer.send(new ProducerRecord<>(topic, order.get("order_id").toString(), order)));
        }
        List<RecordMetadata> metadata = new ArrayList<>();
        for (Future<RecordMetadata> send : sends) {
            metadata.add(send.get(30, TimeUnit.SECONDS));
        }
        // --8<-- [end:produce]
        return metadata;
    }

    public static void main(String[] args) throws Exception {
        String topic = Topics.uniqueName(TOPIC_PREFIX);
        Topics.ensure(BOOTSTRAP_SERVERS, 1, Map.of(), topic);
        try (Producer<String, GenericRecord> producer = new KafkaProducer<>(producerConfig(true))) {
            for (RecordMetadata md : send(producer, topic, List.of(order("o-0", 1), order("o-1", 2)))) {
                System.out.printf("delivered %s-%d @ %d%n", md.topic(), md.partition(), md.offset());
            }
        }
    }
}
