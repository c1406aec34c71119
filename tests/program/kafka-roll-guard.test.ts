// A tier whose Kafka is not roll-safe is refused when the KafkaCluster component is built (so
// `pulumi preview` fails naming the tier and field), not deployed. Pulumi's own mocks: no engine.
import * as pulumi from "@pulumi/pulumi";
import { KafkaCluster } from "../../components/flows/kafka-cluster";
import { TIERS } from "../../components/tiers";

beforeAll(() =>
  pulumi.runtime.setMocks({
    newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
    call: (a) => a.inputs,
  }),
);

describe("KafkaCluster", () => {
  it("refuses a tier whose Kafka cannot roll one broker without losing or refusing writes", () => {
    const tier = { ...TIERS.small, kafka: { ...TIERS.small.kafka, brokers: 1, replicationFactor: 1 } };
    expect(() => new KafkaCluster("kafka", { tier, dependsOn: [] })).toThrow(
      /tier small: its Kafka is not roll-safe: kafka\.replicationFactor is 1: at least 3.*min\.insync\.replicas would be 1.*the KRaft quorum has 1 voters/,
    );
  });

  it("builds every shipped tier", () => {
    for (const tier of Object.values(TIERS)) expect(() => new KafkaCluster(`kafka-${tier.name}`, { tier, dependsOn: [] })).not.toThrow();
  });
});
