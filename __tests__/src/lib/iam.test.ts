import { TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { EncryptionKey } from "../../../src/constructs/kms-key";
import { SecretsStore } from "../../../src/constructs/platform/secrets";
import { PrivateBucket } from "../../../src/constructs/private-bucket";
import { GrantedStatements, keyThroughServiceStatement, type PolicyStatement } from "../../../src/lib/iam";

const AWS = { accountId: "111122223333", partition: "aws", region: "eu-west-1", callerArn: "arn:aws:iam::111122223333:user/ci" };
const stack = () => new TerraformStack(Testing.app(), "grants");
const sids = (statements: readonly PolicyStatement[]) => statements.map((statement) => statement.Sid);

describe("GrantedStatements", () => {
  it("holds what was granted, in grant order", () => {
    // GIVEN two grants  WHEN they are collected  THEN both come back in order, and the list handed out is a copy
    const access = new GrantedStatements();
    access.addToRolePolicy({ Sid: "First", Effect: "Allow", Action: "s3:GetObject", Resource: "*" });
    access.addToRolePolicy({ Sid: "Second", Effect: "Allow", Action: "s3:PutObject", Resource: "*" });
    expect(sids(access.statements)).toEqual(["First", "Second"]);
    (access.statements as PolicyStatement[]).pop();
    expect(access.statements).toHaveLength(2);
  });
});

describe("keyThroughServiceStatement", () => {
  it("allows the key only through the service in the region", () => {
    // GIVEN a key ARN  WHEN its use through S3 is granted  THEN decrypt and data keys, on that key, via s3.<region>
    expect(keyThroughServiceStatement("Use", "arn:aws:kms:eu-west-1:111122223333:key/k", "s3", "eu-west-1")).toEqual({
      Sid: "Use",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "arn:aws:kms:eu-west-1:111122223333:key/k",
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    });
  });

  it("writes a single action as a string", () => {
    // GIVEN only kms:Decrypt  WHEN granted  THEN Action is the string, as IAM prints a single action
    expect(keyThroughServiceStatement("Read", "k", "secretsmanager", "eu-west-1", ["kms:Decrypt"]).Action).toBe("kms:Decrypt");
  });
});

describe("owners grant access to what they own", () => {
  it("a private bucket grants bucket and object actions under one statement id prefix", () => {
    // GIVEN a bucket  WHEN list and get are granted  THEN <sid>Bucket on the bucket and <sid>Objects on its objects
    const scope = stack();
    const bucket = new PrivateBucket(scope, "bucket", { bucketName: "b-111122223333", kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/k" });
    const access = new GrantedStatements();
    bucket.grantAccess(access, { sid: "Data", bucketActions: ["s3:ListBucket"], objectActions: ["s3:GetObject"] });
    expect(access.statements).toEqual([
      { Sid: "DataBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucket.bucketArn },
      { Sid: "DataObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucket.bucketArn}/*` },
    ]);
  });

  it("a key grants its use through one service of its region", () => {
    // GIVEN a key in eu-west-1  WHEN its use through S3 is granted  THEN the statement names the key and s3.eu-west-1
    const key = new EncryptionKey(stack(), "key", { aliasName: "k", description: "d", aws: AWS });
    const access = new GrantedStatements();
    key.grantUseThrough(access, { sid: "Use", service: "s3" });
    expect(access.statements).toEqual([keyThroughServiceStatement("Use", key.keyArn, "s3", "eu-west-1")]);
  });

  it("a secrets store grants its secrets, then the secrets read through its key, then the key", () => {
    // GIVEN a store with one secret and a secret kept elsewhere but encrypted with the store's key
    const store = new SecretsStore(stack(), "secrets", { clusterName: "c", prefix: "env", aws: AWS });
    store.addSecret("cookies", { description: "d", value: "v" });
    const elsewhere = {
      grantRead: (grantee: GrantedStatements) =>
        grantee.addToRolePolicy({ Sid: "ReadElsewhere", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn" }),
    };
    // WHEN a reader is granted both
    const access = new GrantedStatements();
    store.grantRead(access, [elsewhere]);
    // THEN the statements are the store's secrets, the other secret, and decryption through Secrets Manager
    expect(sids(access.statements)).toEqual(["ReadPlatformSecrets", "ReadElsewhere", "DecryptPlatformSecrets"]);
    expect(access.statements[2]).toEqual(keyThroughServiceStatement("DecryptPlatformSecrets", store.keyArn, "secretsmanager", "eu-west-1", ["kms:Decrypt"]));
  });
});
