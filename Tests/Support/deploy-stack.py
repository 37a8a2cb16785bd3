"""Deploys deploy/cloudformation.yaml to moto's CloudFormation, as an operator would with the AWS CLI, and
prints the stack's outputs as JSON. moto needs what the template refers to: a VPC with two subnets and
the two secrets, made here first.

usage: deploy-stack.py TEMPLATE STACK_NAME   (AWS_ENDPOINT_URL points at moto)
"""
import json
import sys
import time

import boto3


def main():
    template, stack = sys.argv[1], sys.argv[2]
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    secrets = boto3.client("secretsmanager")
    rpc = secrets.create_secret(Name=f"{stack}-rpc", SecretString="stack-rpc-secret-0123456789")["ARN"]
    token = secrets.create_secret(Name=f"{stack}-token", SecretString="stack-api-token-0123456789")["ARN"]
    parameters = {
        "GatewayImage": "cutline-gateway:test",
        "MediaProcessorImage": "cutline-media-processor:test",
        "TextImage": "cutline-text:test",
        "VpcId": vpc,
        "Subnets": ",".join(subnets),
        "RpcSecretArn": rpc,
        "ApiTokenArn": token,
        "PublicURL": "http://127.0.0.1:8080",
        "DeadLetterAfter": "2",
    }
    cloudformation = boto3.client("cloudformation")
    with open(template) as body:
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=body.read(),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
    for _ in range(120):
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        if not described["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    if described["StackStatus"] != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
        failed = [f'{e["LogicalResourceId"]}: {e.get("ResourceStatusReason", "")}' for e in events if "FAILED" in e["ResourceStatus"]]
        sys.exit(f'stack {stack} is {described["StackStatus"]}: {failed}')
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    # What the stack made, read back from each service (not from the template).
    # moto's CloudFormation makes the bucket without its lifecycle and CORS rules, so those are read from
    # the template as CloudFormation reads it (cfn-lint's loader keeps the intrinsic functions).
    from cfnlint.decode import cfn_yaml
    bucket_properties = cfn_yaml.load(template)["Resources"]["Bucket"]["Properties"]
    lifecycle = bucket_properties["LifecycleConfiguration"]["Rules"]
    cors = bucket_properties["CorsConfiguration"]["CorsRules"]
    table = boto3.client("dynamodb").describe_table(TableName=outputs["StatusTableName"])["Table"]
    sqs = boto3.client("sqs")
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=outputs["QueueURL"], AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
    print(json.dumps({
        "status": described["StackStatus"],
        "outputs": outputs,
        "resources": sorted(r.get("ResourceType", "?") for r in resources),
        "lifecycle": sorted(f'{r["Id"]} {r["Prefix"]}' for r in lifecycle),
        "cors_methods": sorted(cors[0]["AllowedMethods"]),
        "cors_exposes": cors[0]["ExposedHeaders"],
        "table_key": table["KeySchema"][0]["AttributeName"],
        "dead_letter_after": int(redrive["maxReceiveCount"]),
    }))


if __name__ == "__main__":
    main()
