// The batch job itself: plain AWS SDK code with no credvend in it. It finds its credentials the
// way it would on ECS: AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN,
// which `credvend exec` sets; the SDK renews them from there before they expire, so the job may
// run longer than any one credential lives.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const sts = new STSClient({});
const steps = Number(process.env.JOB_STEPS ?? 1);
const gapMs = Number(process.env.JOB_STEP_GAP_MS ?? 1000);
for (let step = 1; step <= steps; step += 1) {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  // Nothing secret: the role the job runs as, and what it was given besides the endpoint.
  console.log(JSON.stringify({ step, arn: identity.Arn, staticKeys: Boolean(process.env.AWS_ACCESS_KEY_ID), natsPassword: Boolean(process.env.NATS_PASSWORD) }));
  if (step < steps) await new Promise((resolve) => setTimeout(resolve, gapMs));
}
