package guide.fieldguide.producer;

import java.util.Properties;

/**
 * SCRAM-SHA-512 over TLS: a user name and password, checked without the password crossing the wire, inside a
 * TLS connection. Needs {@code kafkalab up --sasl scram} (users in kafkalab.SASL_USERS, created when the
 * storage was formatted). The Java client takes the login in sasl.jaas.config.
 */
public final class ScramProducer {
    static final String BOOTSTRAP_SERVERS =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    static final String CA_FILE = System.getenv().getOrDefault("KAFKA_CA_FILE", "ca.pem");
    static final String USERNAME = System.getenv().getOrDefault("KAFKA_USERNAME", "admin");
    static final String PASSWORD = System.getenv().getOrDefault("KAFKA_PASSWORD", "admin-secret");

    private ScramProducer() {
    }

    public static Properties security(String caFile, String username, String password) {
        // --8<-- [start:config]
        Properties props = new Properties();
        props.put("security.protocol", "SASL_SSL");
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", caFile);
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"" + username + "\" password=\"" + password + "\";");
        // --8<-- [end:config]
        return props;
    }

    public static void main(String[] args) throws Exception {
        SecuredProducer.run(BOOTSTRAP_SERVERS, security(CA_FILE, USERNAME, PASSWORD), "scram");
    }
}
