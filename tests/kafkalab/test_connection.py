"""The connection contract ($KAFKA_CLIENT_CONFIG) translated for each client, checked without a broker."""

import base64
import json
import ssl
import time

import pytest

from kafkalab import client_settings
from kafkalab.connection import unsecured_jwt
from kafkalab.topology import Topology

SCRAM = {
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" '
    'password="p=w d;x";',
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": "/certs/ca.pem",
}


def test_java_names_become_librdkafka_names():
    assert client_settings("confluent-kafka", SCRAM) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "svc",
        "sasl.password": "p=w d;x",
        "ssl.ca.location": "/certs/ca.pem",
    }


def test_java_names_become_kafka_python_keywords():
    assert client_settings("kafka-python", SCRAM) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "svc",
        "sasl_plain_password": "p=w d;x",
        "ssl_cafile": "/certs/ca.pem",
        "ssl_check_hostname": True,
    }


def test_aiokafka_gets_an_ssl_context_that_checks_host_names(tmp_path):
    from kafkalab.certs import Authority

    ca = tmp_path / "ca.pem"
    ca.write_bytes(Authority().pem)
    settings = client_settings("aiokafka", {**SCRAM, "ssl.truststore.location": str(ca)})
    context = settings.pop("ssl_context")
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert settings == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "svc",
        "sasl_plain_password": "p=w d;x",
    }


def test_a_pem_keystore_is_both_certificate_and_key():
    props = {"security.protocol": "SSL", "ssl.keystore.type": "PEM", "ssl.keystore.location": "/c/client.pem"}
    assert client_settings("confluent-kafka", props) == {
        "security.protocol": "SSL",
        "ssl.certificate.location": "/c/client.pem",
        "ssl.key.location": "/c/client.pem",
    }
    assert client_settings("kafka-python", props)["ssl_certfile"] == "/c/client.pem"


def test_turning_host_name_checks_off_is_translated_too():
    props = {"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": ""}
    assert client_settings("kafka-python", props)["ssl_check_hostname"] is False
    assert client_settings("confluent-kafka", props)["ssl.endpoint.identification.algorithm"] == ""


def test_librdkafka_names_are_accepted_as_they_are():
    props = {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "PLAIN",
        "sasl.username": "u",
        "sasl.password": "p",
    }
    assert client_settings("confluent-kafka", props)["sasl.mechanism"] == "PLAIN"
    assert client_settings("kafka-python", props)["sasl_plain_password"] == "p"


def test_lab_oauthbearer_gives_unsigned_tokens_to_every_client():
    props = Topology(1, 20000, sasl="OAUTHBEARER", tls_dir="/t").client_properties("alice")
    assert client_settings("confluent-kafka", props)["sasl.oauthbearer.config"] == "principal=alice"
    provider = client_settings("kafka-python", props)["sasl_oauth_token_provider"]
    header, payload, signature = provider.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "none"} and signature == ""
    assert claims["sub"] == "alice" and claims["exp"] > claims["iat"]
    assert claims["iat"] <= time.time() - 59, "issued a minute ago: the unsecured validator allows no clock skew"


def test_an_expired_token_says_so_in_its_claims():
    claims = json.loads(base64.urlsafe_b64decode(unsecured_jwt("a", 60, now=1000.0).split(".")[1] + "=="))
    assert (claims["iat"], claims["exp"]) == (1000.0, 1060.0)


def test_the_file_is_read_from_the_environment_variable(tmp_path, monkeypatch):
    path = tmp_path / "client.properties"
    path.write_text(
        "# a comment\n! another\nsecurity.protocol = SSL\nssl.truststore.type: PEM\n"
        "ssl.truststore.location=/very/long/\\\n    path/ca.pem\n\n"
    )
    monkeypatch.setenv("KAFKA_CLIENT_CONFIG", str(path))
    assert client_settings("confluent-kafka") == {
        "security.protocol": "SSL",
        "ssl.ca.location": "/very/long/path/ca.pem",
    }
    monkeypatch.delenv("KAFKA_CLIENT_CONFIG")
    assert client_settings("kafka-python") == {}


def test_what_kafkalab_writes_is_what_it_reads():
    for kw in ({"sasl": True}, {"tls": "server"}, {"tls": "mutual"}, {"sasl": "SCRAM-SHA-512"}):
        topo = Topology(1, 20000, tls_dir="/t", **kw)
        assert client_settings("confluent-kafka", topo.client_properties()) == topo.client_config()


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"ssl.truststore.location": "/t.jks"}, "is a JKS store; the Python clients read PEM files only"),
        ({"sasl.jaas.config": "not jaas"}, "is not a JAAS entry"),
        ({"sasl.jaas.config": "x.ScramLoginModule required username=u;"}, "lacks password"),
        ({"sasl.jaas.config": "x.Krb5LoginModule required useKeyTab=true;"}, "Krb5LoginModule"),
    ],
)
def test_what_cannot_be_translated_is_named(props, message):
    with pytest.raises(ValueError, match=message):
        client_settings("kafka-python", props)


def test_unknown_settings_fail_for_the_python_clients_and_pass_through_to_librdkafka():
    with pytest.raises(ValueError, match="sasl.kerberos.service.name has no kafka-python equivalent"):
        client_settings("kafka-python", {"sasl.kerberos.service.name": "kafka"})
    assert client_settings("confluent-kafka", {"client.id": "x"}) == {"client.id": "x"}


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="cannot read .*nope.properties"):
        client_settings("aiokafka", tmp_path / "nope.properties")
    with pytest.raises(ValueError, match="unknown client"):
        client_settings("java", {})
