/** Names shared by the policy and the directory files. */

/** Catalog tool ids and categories: lower-case letters, digits, dashes (as in signatures/tools/<id>.yaml). */
export const TOOL_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Team names: start with a letter or digit; then letters, digits, space, dot, underscore, dash; 64 at most. */
export const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

export function isTeamName(name: string): boolean {
  return TEAM_NAME.test(name) && name.trim() === name;
}
