import { describe, expect, it } from 'vitest';
import { ArchiveError } from '../../../src/archive/errors';
import { looksLikeYtdText, parseAssignedJson, parseYtdList, ytdType } from '../../../src/archive/ytd';

const entries = [{ tweet: { id_str: '1', full_text: 'a = b' } }];
const json = JSON.stringify(entries, null, 2);

describe('parseYtdList', () => {
  it('takes what follows the first "="', () => {
    expect(parseYtdList(`window.YTD.tweets.part0 = ${json}`, 'data/tweets.js')).toEqual(entries);
  });
  it('ignores a UTF-8 BOM, CRLF line ends and a trailing ";"', () => {
    const text = `\uFEFFwindow.YTD.tweets.part0 = ${json.replace(/\n/g, '\r\n')};\r\n`;
    expect(parseYtdList(text, 'data/tweets.js')).toEqual(entries);
  });
  it('accepts bare JSON (no assignment) without splitting on an "=" inside a string', () => {
    expect(parseYtdList(json, 'tweets.js')).toEqual(entries);
  });
  it('names the file when the JSON does not parse', () => {
    let error: unknown;
    try {
      parseYtdList('window.YTD.tweets.part0 = [ {"tweet": ', 'data/tweets-part2.js');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as ArchiveError).code).toBe('bad-json');
    expect((error as ArchiveError).message).toMatch(/^data\/tweets-part2\.js is damaged/);
  });
  it('refuses an empty body and a non-list', () => {
    expect(() => parseYtdList('window.YTD.tweets.part0 = ', 'x.js')).toThrow(/x\.js is empty/);
    expect(() => parseYtdList('window.YTD.tweets.part0 = {"a": 1}', 'x.js')).toThrow(/list of entries/);
  });
});

describe('parseAssignedJson / ytdType', () => {
  it('returns the target, from which the YTD type is read', () => {
    const { target, value } = parseAssignedJson('window.__THAR_CONFIG = {"userInfo": {"userName": "a"}}', 'data/manifest.js');
    expect(target).toBe('window.__THAR_CONFIG');
    expect(value).toEqual({ userInfo: { userName: 'a' } });
    expect(ytdType(target)).toBeNull();
    expect(ytdType('window.YTD.tweets.part3')).toBe('tweets');
    expect(ytdType('window.YTD.note_tweet.part0')).toBe('note_tweet');
    expect(ytdType(null)).toBeNull();
  });
  it('looksLikeYtdText recognises archive files by their first bytes', () => {
    expect(looksLikeYtdText('\uFEFF  window.YTD.tweets.part0 = [')).toBe(true);
    expect(looksLikeYtdText('[{"tweet"')).toBe(true);
    expect(looksLikeYtdText('<html>')).toBe(false);
    expect(looksLikeYtdText('GIF89a')).toBe(false);
  });
});
