/*
 * A Kafka wire-protocol test broker: librdkafka's mock cluster behind a tiny line protocol.
 *
 * usage: mock-broker <broker_count> [topic:partitions[:replication] ...]
 *
 * Prints one line "bootstraps <host:port,...>" on stdout once the cluster listens (the mock binds
 * every broker to 127.0.0.1 on an ephemeral port), then executes one command per stdin line and
 * answers each with "ok" or "error <reason>" so the caller can wait for it to take effect:
 *
 *   down <broker_id|-1>                 disconnect a broker and refuse new connections
 *   up <broker_id|-1>                   accept connections again
 *   rtt <broker_id|-1> <ms>             add a round-trip delay
 *   topic <name> <partitions> [repl]    create a topic
 *   leader <topic> <partition> <id>     move a partition's leader
 *   coordinator <group> <broker_id>     pin a consumer group's coordinator
 *   quit                                destroy the cluster and exit 0
 *
 * EOF on stdin means the parent went away: the broker exits too, so a crashed test leaves no
 * server behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int reply(rd_kafka_resp_err_t err) {
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                printf("ok\n");
        else
                printf("error %s\n", rd_kafka_err2str(err));
        fflush(stdout);
        return 0;
}

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *spec, int brokers) {
        char name[512];
        int partitions = 1, repl = brokers < 3 ? brokers : 3;
        const char *colon = strchr(spec, ':');
        size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
        if (len == 0 || len >= sizeof(name))
                return -1;
        memcpy(name, spec, len);
        name[len] = '\0';
        if (colon && sscanf(colon + 1, "%d:%d", &partitions, &repl) < 1)
                return -1;
        if (partitions < 1 || repl < 1 || repl > brokers)
                return -1;
        return rd_kafka_mock_topic_create(mc, name, partitions, repl) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int main(int argc, char **argv) {
        char errstr[512];
        char line[1024];
        int brokers;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;

        if (argc < 2 || (brokers = atoi(argv[1])) < 1) {
                fprintf(stderr, "usage: %s <broker_count> [topic:partitions[:replication] ...]\n", argv[0]);
                return 2;
        }

        conf = rd_kafka_conf_new();
        /* The handle only owns the cluster's threads; keep its own logging quiet. */
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "rd_kafka_new: %s\n", errstr);
                return 1;
        }
        mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                return 1;
        }
        for (int i = 2; i < argc; i++) {
                if (create_topic(mc, argv[i], brokers) != 0) {
                        fprintf(stderr, "bad topic spec: %s\n", argv[i]);
                        return 2;
                }
        }

        printf("bootstraps %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        while (fgets(line, sizeof(line), stdin)) {
                char cmd[32], a[512], b[512];
                int id, n;
                int fields = sscanf(line, "%31s %511s %511s %d", cmd, a, b, &n);
                if (fields < 1)
                        continue;
                if (!strcmp(cmd, "quit")) {
                        break;
                } else if (!strcmp(cmd, "down") && fields >= 2) {
                        reply(rd_kafka_mock_broker_set_down(mc, atoi(a)));
                } else if (!strcmp(cmd, "up") && fields >= 2) {
                        reply(rd_kafka_mock_broker_set_up(mc, atoi(a)));
                } else if (!strcmp(cmd, "rtt") && fields >= 3) {
                        reply(rd_kafka_mock_broker_set_rtt(mc, atoi(a), atoi(b)));
                } else if (!strcmp(cmd, "topic") && fields >= 3) {
                        id = fields >= 4 ? n : (brokers < 3 ? brokers : 3);
                        reply(rd_kafka_mock_topic_create(mc, a, atoi(b), id));
                } else if (!strcmp(cmd, "leader") && fields >= 4) {
                        reply(rd_kafka_mock_partition_set_leader(mc, a, atoi(b), n));
                } else if (!strcmp(cmd, "coordinator") && fields >= 3) {
                        reply(rd_kafka_mock_coordinator_set(mc, "group", a, atoi(b)));
                } else {
                        printf("error unknown command\n");
                        fflush(stdout);
                }
        }

        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
