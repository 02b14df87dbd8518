import { describe, expect, it } from "vitest";
import { Errors, Stage } from "@pilot-light/core";

const resolve = (settings: Stage.StageSettingsInput) => Stage.resolveStageConfig("test", { test: settings });
const image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2";
const digest = `sha256:${"ab".repeat(32)}`;

describe("the application a stage protects", () => {
  it("defaults to packages/web-app built from its Dockerfile, on port 80, answering /health.php", () => {
    expect(Stage.resolveStageConfig("alice", {}).application).toEqual({ image: { directory: "packages/web-app" }, containerPort: 80, healthPath: "/health.php", environment: {}, secrets: {} });
  });

  it("takes a prebuilt image in the primary region's registry, replicated by default", () => {
    const app = resolve({ application: { image: { uri: image }, containerPort: 8080, healthPath: "/healthz", environment: { APP_ENV: "prod" }, secrets: { STRIPE_KEY: { secretName: "shop/stripe", jsonKey: "key" } } } }).application;
    expect(app).toEqual({ image: { uri: image, replicate: true }, containerPort: 8080, healthPath: "/healthz", environment: { APP_ENV: "prod" }, secrets: { STRIPE_KEY: { secretName: "shop/stripe", jsonKey: "key" } } });
  });

  it.each([
    [{ image: { uri: "shop/web:1.4.2" } }, /application.image.uri: must be an ECR image URI with a tag or digest/],
    [{ image: { uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web" } }, /application.image.uri: must be an ECR image URI with a tag or digest/],
    [{ image: { uri: "docker.io/library/php:8.3-apache" } }, /application.image.uri: must be an ECR image URI/],
    [{ image: { uri: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/web:1.4.2" } }, /application.image.uri: must be in the primary region's registry \(primaryRegion\): pilot-light replicates it/],
    [{ image: { directory: "../elsewhere" } }, /application.image.directory: must be a folder inside the repository/],
    [{ image: { directory: "/abs/path" } }, /application.image.directory: must be a folder inside the repository/],
    [{ image: {} }, /application.image/],
    [{ containerPort: 0 }, /application.containerPort/],
    [{ containerPort: 70000 }, /application.containerPort/],
    [{ healthPath: "health" }, /application.healthPath: must be a URL path starting with \//],
    [{ healthPath: "/health check" }, /application.healthPath: must be a URL path/],
    [{ healthPath: "/health#x" }, /application.healthPath: must be a URL path/],
    [{ environment: { "1BAD": "x" } }, /application.environment.1BAD: must be an environment variable name/],
    [{ environment: { DB_HOST: "elsewhere" } }, /application.environment.DB_HOST: is set by pilot-light/],
    [{ secrets: { DB_PASSWORD: { secretName: "mine" } } }, /application.secrets.DB_PASSWORD: is set by pilot-light/],
    [{ environment: { TOKEN: "x" }, secrets: { TOKEN: { secretName: "t" } } }, /application.secrets.TOKEN: is also in environment/],
    [{ secrets: { TOKEN: { secretName: "has space" } } }, /application.secrets.TOKEN.secretName: must be a Secrets Manager secret name/],
    [{ imageUri: image }, /application: Unrecognized key/],
  ] as [Stage.StageSettingsInput["application"], RegExp][])("refuses %j naming the setting and the rule", (application, message) => {
    expect(() => resolve({ application })).toThrow(Errors.ValidationError);
    expect(() => resolve({ application })).toThrow(message);
  });

  it("accepts a digest instead of a tag, and finds the replica of the image in the DR region's registry", () => {
    const uri = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@${digest}`;
    const parsed = Stage.parseEcrImageUri(uri);
    expect(parsed).toEqual({ account: "123456789012", region: "eu-west-1", repository: "web", tagOrDigest: digest });
    expect(Stage.ecrImageUriIn(parsed!, "eu-central-1")).toBe(`123456789012.dkr.ecr.eu-central-1.amazonaws.com/web@${digest}`);
    expect(Stage.ecrImageUriIn(Stage.parseEcrImageUri(image)!, "eu-central-1")).toBe("123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/web:1.4.2");
  });

  it("builds the health URL from the stage's health path", () => {
    expect(Stage.healthUrl(resolve({ application: { healthPath: "/healthz?deep=1" } }), "https://eu-west-1.app.example.com")).toBe("https://eu-west-1.app.example.com/healthz?deep=1");
  });
});

describe("task size", () => {
  it.each([
    [256, 512],
    [256, 2048],
    [512, 4096],
    [1024, 8192],
    [2048, 16384],
    [4096, 30720],
  ] as const)("accepts %i CPU units with %i MiB, a size Fargate offers", (taskCpu, taskMemoryMiB) => {
    expect(resolve({ sizes: { taskCpu, taskMemoryMiB } }).sizes).toMatchObject({ taskCpu, taskMemoryMiB });
  });

  it.each([
    [256, 4096],
    [512, 512],
    [1024, 1536],
    [4096, 4096],
  ] as const)("refuses %i CPU units with %i MiB, which Fargate does not run", (taskCpu, taskMemoryMiB) => {
    expect(() => resolve({ sizes: { taskCpu, taskMemoryMiB } })).toThrow(/sizes.taskMemoryMiB: must be a memory size Fargate offers for taskCpu/);
  });
});

describe("the example values stacks/stages.ts ships", () => {
  const example = { isDevelopment: false, alertEmails: ["oncall@example.com"], dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "www.example.com" } };

  it("refuses a production stage that still holds them, naming each one to replace", () => {
    expect(() => Stage.refuseExampleValues("prod", example)).toThrow(Errors.ValidationError);
    expect(() => Stage.refuseExampleValues("prod", example)).toThrow(
      'stage "prod" still holds the example values of stacks/stages.ts: dns.hostedZoneId (Z0123456789EXAMPLE), dns.hostedZoneName (example.com), dns.recordName (www.example.com), alertEmails.0 (oncall@example.com).',
    );
  });

  it.each([
    ["an e-mail address under example.org", { ...example, dns: { hostedZoneName: "shop.io", hostedZoneId: "Z04417153OQ2TIR8ZL", recordName: "www.shop.io" }, alertEmails: ["sre@shop.io", "x@sub.example.org"] }, /: alertEmails.1 \(x@sub.example.org\)\./],
    ["a record under .test", { ...example, dns: { hostedZoneName: "shop.test", hostedZoneId: "Z04417153OQ2TIR8ZL", recordName: "www.shop.test" }, alertEmails: [] }, /: dns.hostedZoneName \(shop.test\), dns.recordName \(www.shop.test\)\./],
  ])("names %s", (_what, settings, message) => {
    expect(() => Stage.refuseExampleValues("prod", settings)).toThrow(message);
  });

  it("accepts a production stage with its own zone and addresses, and a development stage with the examples", () => {
    expect(() => Stage.refuseExampleValues("prod", { isDevelopment: false, alertEmails: ["sre@shop.io"], dns: { hostedZoneName: "shop.io", hostedZoneId: "Z04417153OQ2TIR8ZL", recordName: "www.shop.io" } })).not.toThrow();
    expect(() => Stage.refuseExampleValues("dnsdemo", { ...example, isDevelopment: true })).not.toThrow();
    expect(Stage.exampleValues({ isDevelopment: false, alertEmails: ["me@myexample.com"] })).toEqual([]);
  });
});

describe("one registry replication configuration per registry", () => {
  const replicating = { application: { image: { uri: image } } };
  it("refuses a stage whose registry another stage also replicates from, naming both and the fix", () => {
    const stages = { shop: replicating, blog: { application: { image: { uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/blog/web:2" } } } };
    expect(() => Stage.refuseSharedRegistryReplication("shop", stages)).toThrow(Errors.ValidationError);
    expect(() => Stage.refuseSharedRegistryReplication("shop", stages)).toThrow(/stage "shop" and "blog" both set the replication configuration of registry 123456789012 in eu-west-1[\s\S]*set application.image.replicate: false on the others/);
  });

  it("accepts stages that replicate from different registries, or only one of which replicates", () => {
    const otherAccount = { application: { image: { uri: "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1" } } };
    const otherRegion = { application: { image: { uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1" } } };
    const own = { application: { image: { uri: image, replicate: false } } };
    expect(() => Stage.refuseSharedRegistryReplication("shop", { shop: replicating, a: otherAccount, b: otherRegion, c: own, d: {} })).not.toThrow();
    expect(() => Stage.refuseSharedRegistryReplication("c", { shop: replicating, c: own })).not.toThrow();
  });
});
