/**
 * Directory as CSV. The first record is the header; columns in any order, names case-insensitive:
 *   key       (required) user name, or host name when kind is host
 *   team      (required)
 *   kind      (optional) user (default), host, or team (a row that only sets managers/time zone; key empty)
 *   managers  (optional) manager emails of the team, several separated by ;
 *   timezone  (optional) IANA time zone of the team
 * A team's managers are the union over its rows; its time zone must agree wherever it is given.
 */
import type { IssueList } from '../policy/issues.js';
import { isTeamName } from '../policy/names.js';
import { readCsv } from './csv.js';
import { clip, type DirectoryBuilder } from './directory.js';

const COLUMNS = ['key', 'team', 'kind', 'managers', 'timezone'] as const;
type Column = (typeof COLUMNS)[number];

export function parseDirectoryCsv(text: string, builder: DirectoryBuilder, issues: IssueList): void {
  const csv = readCsv(text);
  if (!csv.ok) {
    issues.error('CSV_SYNTAX', csv.line, csv.message);
    return;
  }
  const [header, ...records] = csv.records;
  if (!header) {
    issues.error('CSV_HEADER', null, `the file is empty; the first line must be a header such as: key,team,kind,managers,timezone`);
    return;
  }
  const at = new Map<Column, number>();
  header.fields.forEach((raw, index) => {
    const name = raw.trim().toLowerCase();
    if (!(COLUMNS as readonly string[]).includes(name)) {
      issues.error('CSV_HEADER', header.line, `unknown column "${clip(raw)}"; columns are ${COLUMNS.join(', ')}`);
    } else if (at.has(name as Column)) {
      issues.error('CSV_HEADER', header.line, `column "${name}" appears twice`);
    } else {
      at.set(name as Column, index);
    }
  });
  for (const required of ['key', 'team'] as const) {
    if (!at.has(required)) issues.error('CSV_HEADER', header.line, `the header needs a "${required}" column`);
  }
  if (issues.hasErrors()) return;

  for (const { line, fields } of records) {
    if (fields.length !== header.fields.length) {
      issues.error('CSV_COLUMNS', line, `${fields.length} field(s), the header has ${header.fields.length}`);
      continue;
    }
    const get = (c: Column): string => {
      const index = at.get(c);
      return index === undefined ? '' : (fields[index] ?? '').trim();
    };
    const team = get('team');
    if (!isTeamName(team)) {
      issues.error('BAD_TEAM', line, `team name "${clip(team)}" is not valid: letters, digits, space, . _ - (64 at most), starting with a letter or digit`);
      continue;
    }
    builder.defineTeam(team, line);
    for (const email of get('managers').split(';').map((e) => e.trim()).filter((e) => e !== '')) builder.addManager(team, email, line);
    if (get('timezone') !== '') builder.setTimezone(team, get('timezone'), line);
    const kind = get('kind').toLowerCase() || 'user';
    const key = get('key');
    if (kind === 'user') builder.addUser(key, team, line);
    else if (kind === 'host') builder.addHost(key, team, line);
    else if (kind === 'team') {
      if (key !== '') issues.error('BAD_KIND', line, `a team row leaves key empty (found "${clip(key)}")`);
    } else issues.error('BAD_KIND', line, `kind "${clip(kind)}" must be user, host or team`);
  }
}
