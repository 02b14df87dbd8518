import type { Stage } from "@pilot-light/core";

/** A team's primary in eu-west-1, named as teams name things (nothing pilot-light would choose). */
export const shopPrimary = {
  vpc: {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    publicSubnetIds: ["subnet-0aa1bb2cc3dd4ee5f", "subnet-1aa1bb2cc3dd4ee5f"],
    privateSubnetIds: ["subnet-2aa1bb2cc3dd4ee5f", "subnet-3aa1bb2cc3dd4ee5f"],
  },
  database: {
    instanceIdentifier: "shop-mysql-prod",
    parameterGroup: "shop-mysql84",
    endpoint: "shop-mysql-prod.c9akciq32.eu-west-1.rds.amazonaws.com",
    securityGroupId: "sg-0123456789abcdef0",
    secretName: "shop/prod/mysql",
    databaseName: "shop",
  },
  service: { clusterName: "shop-prod", serviceName: "storefront", securityGroupId: "sg-1123456789abcdef0" },
  loadBalancer: {
    arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-prod-alb/50dc6c495c0c9188",
    dnsName: "shop-prod-alb-1234567890.eu-west-1.elb.amazonaws.com",
    canonicalHostedZoneId: "Z32O12XQLNTSW2",
    listenerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2",
    targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/storefront/73e2d6bc24d8a067",
    securityGroupId: "sg-2123456789abcdef0",
  },
  bucket: { name: "shop-prod-uploads" },
} satisfies Stage.StageSettingsInput["adopt"];
