// Webhook targets: URLs from flags, the environment and a file, all secrets (a Slack webhook URL is its own
// credential). Only a hash is stored and only scheme and host are ever logged.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../../lib/usage-error.ts';

export interface WebhookTarget {
  /** sha256 of the URL, shortened: the outbox's name for the target. */
  id: string;
  url: string;
  /** scheme://host, the only part of the URL that may be shown. */
  label: string;
}

const HttpUrl = z.url({ protocol: /^https?$/ });

/** scheme://host[:port] of a URL, for logs; never the path or query (where webhook tokens live). */
export function safeUrlLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid URL)';
  }
}

export function targetId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** Every configured webhook, deduplicated, in order: flags, then the environment's list (PODSENTINEL_NOTIFY_WEBHOOKS), then the file. */
export function webhookTargets(flags: readonly string[], fromEnv: string | undefined, file: string | undefined): WebhookTarget[] {
  const urls: string[] = [...flags];
  if (fromEnv) urls.push(...fromEnv.split(','));
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --notify-webhook-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    urls.push(...text.split('\n').filter((l) => !l.trim().startsWith('#')));
  }
  const out: WebhookTarget[] = [];
  for (const raw of urls) {
    const url = raw.trim();
    if (!url) continue;
    if (!HttpUrl.safeParse(url).success) throw new UsageError(`a webhook URL is not an http(s) URL (${safeUrlLabel(url)})`);
    const id = targetId(url);
    if (!out.some((t) => t.id === id)) out.push({ id, url, label: safeUrlLabel(url) });
  }
  return out;
}
