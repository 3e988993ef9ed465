package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Apicurio's Avro serdes against the lab's registry: what they write by default, and in the Confluent format. */
@Timeout(120)
class SchemaRegistryProducerTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final List<GenericRecord> ORDERS = List.of(
            SchemaRegistryProducer.order("o-0", 1),
            SchemaRegistryProducer.order("o-1", 2),
            SchemaRegistryProducer.order("o-2", 3));

    @BeforeAll
    static void needsARegistry() {
        // By hand without a registry the class is skipped; the pytest wrapper always sets the variable.
        Assumptions.assumeTrue(System.getenv("KAFKA_SCHEMA_REGISTRY_URL") != null,
                "KAFKA_SCHEMA_REGISTRY_URL is not set");
    }

    private static List<RecordMetadata> produce(String topic, boolean confluentFormat) throws Exception {
        try (Producer<String, GenericRecord> producer =
                new KafkaProducer<>(SchemaRegistryProducer.producerConfig(confluentFormat))) {
            return SchemaRegistryProducer.send(producer, topic, ORDERS);
        }
    }

    private static List<RecordMetadata> produce(String topic, Properties config) throws Exception {
        try (Producer<String, GenericRecord> producer = new KafkaProducer<>(config)) {
            return SchemaRegistryProducer.send(producer, topic, ORDERS);
        }
    }

    private static long globalId(String topic) throws Exception {
        return jsonNumber(get(SchemaRegistryProducer.registryApiUrl() + "/groups/default/artifacts/"
                + URLEncoder.encode(topic + "-value", StandardCharsets.UTF_8) + "/meta"), "globalId");
    }

    private static long ccompatId(String topic) throws Exception {
        return jsonNumber(get(SchemaRegistryProducer.SCHEMA_REGISTRY_URL + "/subjects/"
                + URLEncoder.encode(topic + "-value", StandardCharsets.UTF_8) + "/versions/latest"), "id");
    }

    private static List<ConsumerRecord<byte[], byte[]>> readRaw(String topic, int count) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SchemaRegistryProducer.BOOTSTRAP_SERVERS);
        props.putAll(ClientConfig.security());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            }
        }
        return seen;
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), url + ": " + response.body());
        return response.body();
    }

    private static long jsonNumber(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*(\\d+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no " + field + " in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    private static void assertOffsets(List<RecordMetadata> metadata) {
        assertEquals(List.of(0L, 1L, 2L), metadata.stream().map(RecordMetadata::offset).toList());
    }

    @Test
    void confluentFormatIsMagicByteAndTheCcompatIdAndReadsBack() throws Exception {
        String topic = KafkaTestSupport.newTopic("orders-avro-java", 1);
        assertOffsets(produce(topic, true));

        // the id the Confluent-compatible API gives for the subject confluent-kafka would use
        String subject = URLEncoder.encode(topic + "-value", StandardCharsets.UTF_8);
        String latest = get(SchemaRegistryProducer.SCHEMA_REGISTRY_URL + "/subjects/" + subject + "/versions/latest");
        long ccompatId = jsonNumber(latest, "id");
        assertEquals(1, jsonNumber(latest, "version"));
        // the writer's schema, as confluent-kafka's AvroDeserializer would fetch it by that id
        String byId = get(SchemaRegistryProducer.SCHEMA_REGISTRY_URL + "/schemas/ids/" + ccompatId);
        Schema writer = new Schema.Parser().parse(
                new ObjectMapper().readTree(byId).get("schema").asText());

        List<ConsumerRecord<byte[], byte[]>> raw = readRaw(topic, ORDERS.size());
        assertEquals(ORDERS.size(), raw.size());
        for (int i = 0; i < raw.size(); i++) {
            ConsumerRecord<byte[], byte[]> record = raw.get(i);
            assertEquals(0, record.headers().toArray().length, "no apicurio headers");
            ByteBuffer value = ByteBuffer.wrap(record.value());
            assertEquals(0, value.get(), "magic byte");
            assertEquals(ccompatId, value.getInt(), "4-byte id = the ccompat id");
            GenericRecord decoded = new GenericDatumReader<GenericRecord>(writer).read(null,
                    DecoderFactory.get().binaryDecoder(record.value(), 5, record.value().length - 5, null));
            assertEquals(ORDERS.get(i).toString(), decoded.toString());
        }

        // and Apicurio's own deserializer, set the same way, reads the records back
        List<ConsumerRecord<String, GenericRecord>> read = new ArrayList<>();
        try (KafkaConsumer<String, GenericRecord> consumer =
                new KafkaConsumer<>(SchemaRegistryProducer.consumerConfig(topic + "-reader"))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read.size() < ORDERS.size() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
            }
        }
        assertEquals(List.of("o-0", "o-1", "o-2"), read.stream().map(ConsumerRecord::key).toList());
        assertEquals(ORDERS.stream().map(Object::toString).toList(),
                read.stream().map(r -> r.value().toString()).toList());
    }

    @Test
    void defaultFormatPutsAnEightByteGlobalIdInHeadersAndNoPrefixInTheValue() throws Exception {
        String topic = KafkaTestSupport.newTopic("orders-avro-java-default", 1);
        assertOffsets(produce(topic, false));
        long globalId = globalId(topic);

        List<ConsumerRecord<byte[], byte[]>> raw = readRaw(topic, ORDERS.size());
        assertEquals(ORDERS.size(), raw.size());
        for (ConsumerRecord<byte[], byte[]> record : raw) {
            System.out.println("default format headers: " + Arrays.stream(record.headers().toArray())
                    .map(h -> h.key() + "=" + Arrays.toString(h.value())).toList()
                    + " value: " + Arrays.toString(record.value()));
            Header id = record.headers().lastHeader("apicurio.value.globalId");
            assertNotEquals(null, id, "the id travels in a header");
            assertEquals(8, id.value().length);
            assertEquals(globalId, ByteBuffer.wrap(id.value()).getLong());
            assertNull(record.headers().lastHeader("apicurio.value.contentId"));
            assertArrayEquals("BINARY".getBytes(StandardCharsets.UTF_8),
                    record.headers().lastHeader("apicurio.value.encoding").value());
        }
        // the value is the Avro binary alone: no magic byte, no id
        for (int i = 0; i < raw.size(); i++) {
            ByteArrayOutputStream avro = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(avro, null);
            new GenericDatumWriter<GenericRecord>(SchemaRegistryProducer.ORDER_SCHEMA).write(ORDERS.get(i), encoder);
            encoder.flush();
            assertArrayEquals(avro.toByteArray(), raw.get(i).value());
        }
    }

    @Test
    void withoutHeadersTheDefaultIdIsEightBytesAndAsConfluentAloneWritesTheGlobalId() throws Exception {
        // the same schema already under another subject: its content id is now older than any new global id
        String first = KafkaTestSupport.newTopic("orders-avro-java-first", 1);
        assertOffsets(produce(first, true));

        String eight = KafkaTestSupport.newTopic("orders-avro-java-8", 1);
        Properties noHeaders = SchemaRegistryProducer.producerConfig(false);
        noHeaders.put("apicurio.registry.headers.enabled", false);
        assertOffsets(produce(eight, noHeaders));
        for (ConsumerRecord<byte[], byte[]> record : readRaw(eight, ORDERS.size())) {
            ByteBuffer value = ByteBuffer.wrap(record.value());
            assertEquals(0, value.get(), "magic byte");
            assertEquals(globalId(eight), value.getLong(), "8-byte global id");
            assertEquals(0, record.headers().toArray().length);
        }

        String four = KafkaTestSupport.newTopic("orders-avro-java-4", 1);
        Properties asConfluent = SchemaRegistryProducer.producerConfig(false);
        asConfluent.put("apicurio.registry.headers.enabled", false);
        asConfluent.put("apicurio.registry.as-confluent", true);
        assertOffsets(produce(four, asConfluent));
        List<ConsumerRecord<byte[], byte[]>> raw = readRaw(four, ORDERS.size());
        assertEquals(ORDERS.size(), raw.size());
        for (ConsumerRecord<byte[], byte[]> record : raw) {
            ByteBuffer value = ByteBuffer.wrap(record.value());
            assertEquals(0, value.get(), "magic byte");
            int id = value.getInt();
            assertEquals(globalId(four), id, "4 bytes, but the global id");
            assertNotEquals(ccompatId(four), id, "not the id confluent-kafka's deserializer looks up");
        }
    }
}
