/**
 * A readable device for the session list (terms 4.1, 3.5: the subscriber recognises their own devices):
 * the app reports its platform (terms 1: Android, iOS, Windows Phone), model and version; a browser
 * is described from its User-Agent. Free text from the client is cleaned and cut, never trusted as markup.
 */
export interface DeviceDescription {
  platform?: string | null;
  model?: string | null;
  appVersion?: string | null;
}

const MAX_LENGTH = 200;

function clean(value: string | null | undefined, max = 60): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f<>]/g, '').replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, max) : null;
}

/** Android / iOS / Windows Phone from what the app or the User-Agent says. */
export function mobilePlatform(value: string | null | undefined): string | null {
  const text = (value ?? '').toLowerCase();
  if (!text) return null;
  if (/windows phone|windowsphone|wp8|wp\s?10|windows mobile/.test(text)) return 'Windows Phone';
  if (/android/.test(text)) return 'Android';
  if (/\b(ios|iphone|ipad|ipod|ipados)\b/.test(text)) return 'iOS';
  return null;
}

function browser(userAgent: string): string | null {
  const rules: [RegExp, string][] = [
    [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)/, 'Opera'],
    [/YaBrowser\/(\d+)/, 'Yandex Browser'],
    [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/FxiOS\/(\d+)/, 'Firefox'],
    [/CriOS\/(\d+)/, 'Chrome'],
    [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  ];
  for (const [pattern, name] of rules) {
    const match = pattern.exec(userAgent);
    if (match) return `${name} ${match[1]}`;
  }
  return null;
}

function operatingSystem(userAgent: string): string | null {
  const mobile = mobilePlatform(userAgent);
  if (mobile) return mobile;
  if (/Windows NT/.test(userAgent)) return 'Windows';
  if (/Mac OS X|Macintosh/.test(userAgent)) return 'macOS';
  if (/CrOS/.test(userAgent)) return 'ChromeOS';
  if (/Linux/.test(userAgent)) return 'Linux';
  return null;
}

export function describeDevice(channel: 'WEB' | 'MOBILE_APP', device: DeviceDescription | null | undefined, userAgent: string | null): string | null {
  const ua = clean(userAgent, 512);
  if (channel === 'MOBILE_APP') {
    const platform = mobilePlatform(device?.platform) ?? clean(device?.platform, 30) ?? mobilePlatform(ua);
    const parts = [platform, clean(device?.model), device?.appVersion ? `My Beeline ${clean(device.appVersion, 20)}` : 'My Beeline'];
    return parts.filter(Boolean).join(' · ').slice(0, MAX_LENGTH) || null;
  }
  const fromAgent = ua ? [browser(ua), operatingSystem(ua)].filter(Boolean) : [];
  const described = fromAgent.length === 2 ? `${fromAgent[0]} on ${fromAgent[1]}` : fromAgent[0] ?? null;
  const explicit = [clean(device?.platform, 30), clean(device?.model)].filter(Boolean).join(' ');
  const text = described ?? (explicit || (ua ? `Browser (${ua.slice(0, 80)})` : 'Browser'));
  return text.slice(0, MAX_LENGTH);
}
