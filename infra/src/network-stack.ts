import { RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PetalConfig } from './config.js';

export interface NetworkStackProps extends StackProps {
  config: PetalConfig;
}

/** The VPC everything runs in: two AZs, public and private-with-egress subnets, endpoints, flow logs. */
export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      // Fixed AZ names would need a lookup (an AWS call at synth); two of the region's AZs need none.
      maxAzs: 2,
      natGateways: config.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // Nothing gets a public address unless it asks: the ALB's nodes do, the tasks do not.
      restrictDefaultSecurityGroup: true,
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // S3 is free as a gateway endpoint and carries the bulk (image layers, model artifacts, data).
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    // Interface endpoints for what the tasks call on every start or request, so that traffic skips NAT.
    const interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    };
    for (const [name, service] of Object.entries(interfaceEndpoints)) {
      // The endpoint's own security group admits HTTPS from the VPC's range only (the CDK default).
      this.vpc.addInterfaceEndpoint(name, { service, subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, privateDnsEnabled: true });
    }

    for (const endpoint of this.node.findAll().filter((c): c is ec2.InterfaceVpcEndpoint => c instanceof ec2.InterfaceVpcEndpoint)) {
      const group = endpoint.connections.securityGroups[0];
      if (group) {
        Validations.of(group).acknowledge({
          id: 'AwsSolutions-EC23',
          reason: 'The interface endpoint admits HTTPS from the VPC CIDR only; the rule names the CIDR as a token, which the check cannot read.',
        });
      }
    }
  }
}
