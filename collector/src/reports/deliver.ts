/** Delivery channels: SMTP (nodemailer: TLS, auth) and a Slack-compatible webhook. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { SmtpSettings } from './settings.js';

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface Mail {
  to: string[];
  subject: string;
  html: string;
  text: string;
  attachments: MailAttachment[];
  /** Deterministic per team and week, so a receiving system can drop a duplicate too. */
  messageId: string;
}

export interface MailSender {
  send(mail: Mail): Promise<string>;
  close(): void;
}

export function messageIdFor(team: string, week: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'aiscout.invalid';
  const h = createHash('sha256').update(`${team}\u0000${week}`).digest('hex').slice(0, 24);
  return `<aiscout-report.${week}.${h}@${domain}>`;
}

export function smtpSender(s: SmtpSettings, timeoutMs = 30_000): MailSender {
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    requireTLS: s.requireTls,
    auth: s.user !== null ? { user: s.user, pass: s.password ?? '' } : undefined,
    tls: { minVersion: 'TLSv1.2', ...(s.caFile ? { ca: readFileSync(s.caFile) } : {}) },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // nodemailer's own logger would print addresses; failures are reported by the caller.
    logger: false,
  });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: s.from, to: mail.to, subject: mail.subject, html: mail.html, text: mail.text, messageId: mail.messageId,
        attachments: mail.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      });
      return info.messageId;
    },
    close() {
      transport.close();
    },
  };
}

/** POSTs `{ text }` (Slack, Mattermost, Rocket.Chat, Teams workflows accept it); a non-2xx is a failure. */
export async function postWebhook(url: string, text: string, timeoutMs = 15_000): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  const body = (await res.text()).slice(0, 200);
  // The URL is a secret (it carries the channel's token): never echo it.
  if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  return body;
}

/** File names from team names: letters, digits, dot, dash, underscore only. */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'team';
}
