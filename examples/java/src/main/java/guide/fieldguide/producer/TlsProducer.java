package guide.fieldguide.producer;

import java.util.Properties;

/**
 * TLS: the client checks the broker's certificate against a CA it trusts. Needs {@code kafkalab up --tls},
 * which prints the CA's path. The Java client reads a PEM CA certificate directly (ssl.truststore.type=PEM):
 * no JKS truststore, no keytool. Host name verification is on by default (ssl.endpoint.identification.algorithm
 * is https): leave it on.
 */
public final class TlsProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String CA_FILE = System.getenv().getOrDefault("KAFKA_CA_FILE", "ca.pem");

    private TlsProducer() {
    }

    /** The settings besides bootstrap.servers and the serializers: the keys of kafkalab's client.properties. */
    public static Properties security(String caFile) {
        // --8<-- [start:config]
        Properties props = new Properties();
        props.put("security.protocol", "SSL");
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", caFile);
        // --8<-- [end:config]
        return props;
    }

    public static void main(String[] args) throws Exception {
        SecuredProducer.run(BOOTSTRAP_SERVERS, security(CA_FILE), "tls");
    }
}
