/**
 * One VPC per region with the seed's layout: /24 public subnets x.1 and x.2, /24 private
 * subnets x.3 and x.4, in AZs a and b. Private subnets have no route to the internet: ECS
 * tasks reach ECR, CloudWatch Logs and Secrets Manager through interface endpoints and S3
 * through a gateway endpoint (docs/deploy.md gives the reasoning and the monthly cost).
 * Security groups chain ALB (80/443 from anywhere) → ECS (the container port, 80 by default) → RDS (3306), nothing else in.
 */
import { StackContext } from "sst/constructs";
import type { Stack } from "aws-cdk-lib";
import type { Stage } from "@pilot-light/core";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import { useStage } from "./context";
import { suppress } from "./nag";

/** Allocates the seed's subnet CIDRs instead of CDK's packed sequence. */
export class SeedSubnetLayout implements ec2.IIpAddresses {
  constructor(private readonly cidr: string) {}

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.cidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    const [a, b] = this.cidr.split(".");
    const third = { Public: [1, 2], Private: [3, 4] } as const;
    const seen: Record<string, number> = {};
    return {
      allocatedSubnets: input.requestedSubnets.map((s) => {
        const group = s.configuration.name as keyof typeof third;
        const index = (seen[group] = (seen[group] ?? -1) + 1);
        const octet = third[group]?.[index];
        if (octet === undefined) throw new Error(`seed layout has no subnet ${group} #${index + 1}`);
        return { cidr: `${a}.${b}.${octet}.0/24` };
      }),
    };
  }
}

export function Network({ stack, app }: StackContext) {
  const { cidr, config, adopted } = useStage(app);
  if (adopted) return adoptedNetwork(stack, adopted);
  const vpc = new ec2.Vpc(stack, "Vpc", {
    ipAddresses: new SeedSubnetLayout(cidr),
    availabilityZones: [`${app.region}a`, `${app.region}b`],
    natGateways: 0,
    subnetConfiguration: [
      { name: "Public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: "Private", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    restrictDefaultSecurityGroup: false,
  });
  vpc.addFlowLog("FlowLog", {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(
      new logs.LogGroup(stack, "FlowLogs", { retention: logs.RetentionDays.ONE_MONTH }),
    ),
    trafficType: ec2.FlowLogTrafficType.ALL,
  });

  const albSg = new ec2.SecurityGroup(stack, "AlbSg", { vpc, description: "ALB: HTTP/HTTPS from anywhere", allowAllOutbound: false });
  const ecsSg = new ec2.SecurityGroup(stack, "EcsSg", { vpc, description: "ECS tasks: HTTP from the ALB only", allowAllOutbound: false });
  const rdsSg = new ec2.SecurityGroup(stack, "RdsSg", { vpc, description: "RDS: MySQL from ECS tasks only", allowAllOutbound: false });
  const endpointSg = new ec2.SecurityGroup(stack, "EndpointSg", { vpc, description: "VPC endpoints: HTTPS from ECS tasks", allowAllOutbound: false });

  suppress(albSg, [{ id: "AwsSolutions-EC23", reason: "The public web application's load balancer answers HTTP/HTTPS from anywhere (seed security design)." }]);
  albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "HTTP from anywhere");
  albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS from anywhere");
  // The application's container port (80 for packages/web-app).
  const appPort = config.application.containerPort;
  albSg.addEgressRule(ecsSg, ec2.Port.tcp(appPort), "to ECS tasks");
  ecsSg.addIngressRule(albSg, ec2.Port.tcp(appPort), "HTTP from the ALB");
  ecsSg.addEgressRule(rdsSg, ec2.Port.tcp(3306), "MySQL to RDS");
  // Beyond the seed: without HTTPS out the tasks cannot pull their image or write logs.
  // The private subnets have no internet route, so 443 reaches only the VPC endpoints and
  // the S3 gateway endpoint (whose managed prefix list id is known only by a lookup).
  ecsSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS to VPC endpoints and S3 gateway");
  rdsSg.addIngressRule(ecsSg, ec2.Port.tcp(3306), "MySQL from ECS tasks");
  endpointSg.addIngressRule(ecsSg, ec2.Port.tcp(443), "HTTPS from ECS tasks");

  const endpoints = {
    EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
    EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    Secrets: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  };
  for (const [id, service] of Object.entries(endpoints)) {
    vpc.addInterfaceEndpoint(id, { service, securityGroups: [endpointSg], privateDnsEnabled: true, open: false });
  }

  return { vpc, albSg, ecsSg, rdsSg };
}

/**
 * An adopted primary's network (docs/adopt.md): the team's VPC, subnets and security groups,
 * imported by id with no lookup. Nothing is created in it and no rule is added to their groups
 * (`mutable: false`): the private subnets are those the Probe runs in, with the tasks' group,
 * which the team's database already admits.
 */
function adoptedNetwork(stack: Stack, adopted: Stage.AdoptConfig) {
  const { vpcId, availabilityZones, publicSubnetIds, privateSubnetIds } = adopted.vpc;
  const vpc = ec2.Vpc.fromVpcAttributes(stack, "Vpc", { vpcId, availabilityZones, publicSubnetIds, isolatedSubnetIds: privateSubnetIds });
  const group = (id: string, securityGroupId: string) => ec2.SecurityGroup.fromSecurityGroupId(stack, id, securityGroupId, { mutable: false, allowAllOutbound: false });
  return {
    vpc,
    albSg: group("AlbSg", adopted.loadBalancer.securityGroupId),
    ecsSg: group("EcsSg", adopted.service.securityGroupId),
    rdsSg: group("RdsSg", adopted.database.securityGroupId),
  };
}

