/**
 * What the phone shows before "Aprovar": the kept form's URL in words and the asking browser in
 * short. Pure functions; the words are i18n keys under `security.approval.actions`.
 */

/** The guarded forms (every route behind requireStepUp), by the path the form posts to. */
const ACTIONS: [RegExp, string][] = [
  [/^\/accounts\/\d+\/contacts$/, 'contactAdd'],
  [/^\/accounts\/\d+\/contacts\/\d+\/delete$/, 'contactDelete'],
  [/^\/accounts\/\d+\/contacts\/\d+\/permissions$/, 'contactPermissions'],
  [/^\/accounts\/\d+\/groups$/, 'groupCreate'],
  [/^\/accounts\/\d+\/groups\/\d+$/, 'groupSave'],
  [/^\/accounts\/\d+\/groups\/\d+\/delete$/, 'groupDelete'],
  [/^\/accounts\/\d+\/owner$/, 'ownerTransfer'],
  [/^\/accounts\/\d+\/invitations$/, 'invite'],
  [/^\/accounts\/\d+\/invitations\/contacts\/\d+\/resend$/, 'inviteResend'],
  [/^\/me\/security\/accounts\/\d+$/, 'companySecurity'],
];

/** The action's key; `other` ("uma ação protegida") for a form not listed. */
export function describeAction(url: string): string {
  const path = url.split(/[?#]/)[0]!.replace(/\/+$/, '');
  return ACTIONS.find(([re]) => re.test(path))?.[1] ?? 'other';
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/\b(?:HeadlessChrome|Chrome|CriOS|Chromium)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** "Chrome 131 · Windows" from a User-Agent; null when neither part is recognised. */
export function summariseBrowser(userAgent: string | null | undefined): string | null {
  const ua = String(userAgent ?? '').slice(0, 512);
  const browser = BROWSERS.map(([re, name]) => {
    const m = re.exec(ua);
    return m ? `${name} ${m[1]}` : null;
  }).find(Boolean) ?? null;
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1] ?? null;
  const summary = [browser, system].filter(Boolean).join(' · ');
  return summary ? summary.slice(0, 100) : null;
}
