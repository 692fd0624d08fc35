/**
 * Who the archive belongs to. data/account.js is the authority:
 *   window.YTD.account.part0 = [{"account": {"username", "accountId", "accountDisplayName", …}}]
 * data/manifest.js fills in what it lacks (or everything, when there is no account.js):
 *   window.__THAR_CONFIG = {"userInfo": {"accountId", "userName", "displayName"}, …}
 * Neither file is essential, so a damaged one is ignored rather than refused.
 */
import { ArchiveError } from './errors';
import { parseAssignedJson } from './ytd';

export interface AccountInfo {
  username: string;
  displayName: string;
  accountId: string;
}

const EMPTY: AccountInfo = { username: '', displayName: '', accountId: '' };

function field(record: unknown, key: string): string {
  if (typeof record !== 'object' || record === null) return '';
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

function parseLeniently(text: string, fileName: string): unknown {
  try {
    return parseAssignedJson(text, fileName).value;
  } catch (error) {
    if (error instanceof ArchiveError) return undefined;
    throw error;
  }
}

export function accountFromText(text: string, fileName: string): AccountInfo {
  const value = parseLeniently(text, fileName);
  const first: unknown = Array.isArray(value) ? value[0] : value;
  const account = typeof first === 'object' && first !== null && 'account' in first ? (first as { account: unknown }).account : first;
  return {
    username: field(account, 'username').replace(/^@/, ''),
    displayName: field(account, 'accountDisplayName'),
    accountId: field(account, 'accountId'),
  };
}

export function manifestFromText(text: string, fileName: string): AccountInfo {
  const value = parseLeniently(text, fileName);
  const userInfo = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).userInfo : undefined;
  return {
    username: field(userInfo, 'userName').replace(/^@/, ''),
    displayName: field(userInfo, 'displayName'),
    accountId: field(userInfo, 'accountId'),
  };
}

/** account.js wins field by field; manifest.js fills the gaps; a loose tweets.js leaves all empty. */
export function resolveAccount(account: AccountInfo | null, manifest: AccountInfo | null): AccountInfo {
  const a = account ?? EMPTY;
  const m = manifest ?? EMPTY;
  return {
    username: a.username || m.username,
    displayName: a.displayName || m.displayName,
    accountId: a.accountId || m.accountId,
  };
}
