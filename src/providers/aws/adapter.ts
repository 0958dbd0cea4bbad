// AWS End User Messaging SMS (domain.md §4.2): SendTextMessage through the official SDK
// (@aws-sdk/client-pinpoint-sms-voice-v2 signs every request with SigV4; nothing here
// signs by hand). One message id per message: one part. Delivery events arrive through
// an SNS HTTPS subscription on the configuration set's event destination: every SNS
// message's signature is verified (signature.ts), a subscription is confirmed, and the
// events move the message.
// Config: { region, origination_identity? (also the route's sender when it is a number or
//   a sender id; name `from` too when it is a pool or an ARN), configuration_set_name?,
//   message_type?: TRANSACTIONAL|PROMOTIONAL, topic_arn (required: delivery events are
//   accepted from this topic only; anyone can subscribe our URL to a topic of theirs and
//   publish genuinely signed events), inbound_topic_arn? (two-way texts, if on another topic),
//   access_key_id_env? + secret_access_key_env? (+ session_token_env?; without them the
//   standard AWS credential chain), endpoint? (tests, VPC endpoints), from? }.
import type { MessageType, PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { AdapterContext, InboundMessage, ProviderAdapter, ProviderModule, RawWebhook, Receipt, SendOutcome, SendRequest, WebhookRequest } from '../provider.ts';
import { classifyAwsException } from './errors.ts';
import { awsInbound, awsReceipts } from './receipts.ts';
import { snsVerifier, trustFile } from './signature.ts';

interface AwsConfig {
  region: string; origination_identity?: string; configuration_set_name?: string; message_type?: MessageType; topic_arn?: string; inbound_topic_arn?: string;
  access_key_id_env?: string; secret_access_key_env?: string; session_token_env?: string; endpoint?: string;
}

const TTL_MIN_S = 5;
const TTL_MAX_S = 259_200;

export function validateAwsConfig(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof c.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(c.region)) problems.push('config.region must be an AWS region such as us-east-1');
  if (c.message_type !== undefined && c.message_type !== 'TRANSACTIONAL' && c.message_type !== 'PROMOTIONAL') problems.push('config.message_type must be TRANSACTIONAL or PROMOTIONAL');
  if ((c.access_key_id_env === undefined) !== (c.secret_access_key_env === undefined)) problems.push('config.access_key_id_env and config.secret_access_key_env go together (or neither: the standard AWS credential chain)');
  if (c.endpoint !== undefined && (typeof c.endpoint !== 'string' || !/^https?:\/\/[^/]+/.test(c.endpoint))) problems.push('config.endpoint must be an http(s) URL');
  const topic = (v: unknown) => typeof v === 'string' && /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(v);
  if (!topic(c.topic_arn)) problems.push('config.topic_arn is required: the SNS topic ARN of the configuration set\'s event destination (arn:aws:sns:<region>:<account>:<topic>); events from any other topic are refused');
  if (c.inbound_topic_arn !== undefined && !topic(c.inbound_topic_arn)) problems.push('config.inbound_topic_arn must be an SNS topic ARN');
  return problems;
}

export function createAws(ctx: AdapterContext): ProviderAdapter {
  const c = ctx.config as unknown as AwsConfig;
  if (ctx.settings.snsTrust) trustFile(ctx.settings.snsTrust);
  const keyId = c.access_key_id_env ? ctx.secret(c.access_key_id_env) : undefined;
  const secret = c.secret_access_key_env ? ctx.secret(c.secret_access_key_env) : undefined;
  const session = c.session_token_env ? ctx.secret(c.session_token_env) : undefined;
  // The SDK is loaded on the first send: it is large, and most processes (the CLI, an
  // api-only process, installs without AWS) never need it.
  let sdk: Promise<{ client: PinpointSMSVoiceV2Client; Send: typeof import('@aws-sdk/client-pinpoint-sms-voice-v2').SendTextMessageCommand }> | null = null;
  const load = () => (sdk ??= import('@aws-sdk/client-pinpoint-sms-voice-v2').then((m) => ({
    client: new m.PinpointSMSVoiceV2Client({
      region: c.region,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
      ...(keyId && secret ? { credentials: { accessKeyId: keyId, secretAccessKey: secret, ...(session ? { sessionToken: session } : {}) } } : {}),
      maxAttempts: 1, // retries and failover are Switchboard's
    }),
    Send: m.SendTextMessageCommand,
  })));

  return {
    kind: 'aws',

    async send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      const { client, Send } = await load();
      try {
        const out = await client.send(new Send({
          DestinationPhoneNumber: req.to, OriginationIdentity: c.origination_identity ?? req.from, MessageBody: req.body,
          MessageType: c.message_type ?? 'TRANSACTIONAL', ConfigurationSetName: c.configuration_set_name,
          Context: { switchboard_message_id: req.messageId },
          ...(req.validitySeconds ? { TimeToLive: Math.min(TTL_MAX_S, Math.max(TTL_MIN_S, req.validitySeconds)) } : {}),
        }), { abortSignal: signal });
        if (!out.MessageId) return { ok: false, error: { kind: 'transient', code: 'provider_error', providerCode: 'no_message_id', message: 'AWS answered without a MessageId' } };
        return { ok: true, parts: [{ index: 0, providerMessageId: out.MessageId }] };
      } catch (err) {
        const e = err as { name?: string; message?: string; Reason?: string; $metadata?: { httpStatusCode?: number } };
        if (!e?.$metadata?.httpStatusCode) throw err; // no answer at all: a timeout or a network error, classified by the worker
        const { kind, code, known } = classifyAwsException(e.name ?? 'UnknownError', e.Reason);
        return { ok: false, error: { kind, code, providerCode: e.Reason ? `${e.name}:${e.Reason}` : e.name ?? `http_${e.$metadata.httpStatusCode}`, message: e.message ?? 'AWS refused the message', ...(known ? {} : { unmapped: true }) } };
      }
    },

    // Only from the record's own topics: a record written before topic_arn was required accepts nothing until it names one.
    async verify(req: WebhookRequest): Promise<boolean> {
      const topic = req.kind === 'inbound' ? c.inbound_topic_arn ?? c.topic_arn : c.topic_arn;
      if (!topic) return false;
      return (await snsVerifier.verify(req.body, topic)) !== null;
    },

    // A verified subscription confirmation is confirmed now; SNS only needs our 200.
    respond(req: WebhookRequest) {
      try {
        const m = JSON.parse(req.body) as { Type?: string; SubscribeURL?: string };
        if (m.Type === 'SubscriptionConfirmation' && m.SubscribeURL) void snsVerifier.confirm(m.SubscribeURL).catch(() => false);
      } catch { /* verified JSON; nothing else to do */ }
      return { contentType: 'text/plain', body: '' };
    },

    parseReceipts(raw: RawWebhook): Receipt[] { return awsReceipts(raw.body); },
    parseInbound(raw: RawWebhook): InboundMessage[] { return awsInbound(raw.body); },

    async close() { if (sdk) (await sdk).client.destroy(); },
  };
}

export const aws: ProviderModule = {
  kind: 'aws', validate: validateAwsConfig, create: createAws,
  // The origination identity is the route's sender when it is one a handset sees (a number or a sender id).
  senderFrom: (config) => (typeof config.origination_identity === 'string' && !config.origination_identity.startsWith('arn:') && !/^(pool|phone|senderid)-/.test(config.origination_identity) ? config.origination_identity : undefined),
};
