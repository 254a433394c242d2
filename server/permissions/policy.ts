import type { Registry } from '../plugins/registry';

export interface PermissionSubject {
  profile: string;
  isOwner: boolean;
  /** Flags granted one by one or through groups (issue: permission plugins). */
  extraFlags?: Iterable<string>;
}

/**
 * The effective set, computed once per request: the primary administrator holds every granting
 * flag (narrowing ones, like "restrict tickets", would take access away);
 * everyone else holds their profile's flags plus explicit and group grants. Grants of a plugin
 * that is switched off are not in `registry.keys`, so they are kept in the database but ignored.
 */
export function effectivePermissions(registry: Registry, subject: PermissionSubject): ReadonlySet<string> {
  if (subject.isOwner) return registry.everything;
  const flags = new Set(registry.flagsOfProfile(subject.profile));
  for (const key of subject.extraFlags ?? []) if (registry.keys.has(key)) flags.add(key);
  return flags;
}

/** The one decision every guard, menu and view asks. */
export function can(flags: ReadonlySet<string> | undefined, key: string): boolean {
  return flags !== undefined && flags.has(key);
}

/**
 * Nobody grants a flag they do not hold; a narrowing flag takes access away, so any editor may
 * grant it (the primary administrator does not hold it, yet must be able to give it).
 */
export function canGrant(registry: Registry, editorFlags: ReadonlySet<string>, key: string): boolean {
  return editorFlags.has(key) || (registry.keys.has(key) && !registry.everything.has(key));
}

/**
 * Taking a narrowing flag away gives access back, so it is a grant: nobody lifts a restriction they
 * are under themselves (from themselves or anyone), directly, through a group's membership, a
 * group's flags or a group's deletion. Other flags may always be taken away.
 */
export function canLift(registry: Registry, editorFlags: ReadonlySet<string>, key: string): boolean {
  const narrows = registry.keys.has(key) && !registry.everything.has(key);
  return !narrows || !editorFlags.has(key);
}
