/**
 * Pure formatting: schedules in words, times and durations.
 */
import type { ISchedule } from './types';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December'
];

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *'
};

const pad = (n: number): string => String(n).padStart(2, '0');
const isNumber = (field: string): boolean => /^\d+$/.test(field);
const isList = (field: string): boolean => /^\d+(,\d+)*$/.test(field);
/** A list of numbers, each at most `max` (a minute or an hour of the day). */
const isListUpTo = (field: string, max: number): boolean =>
  isList(field) && field.split(',').every(n => Number(n) <= max);

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) {
    return `${n}th`;
  }
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

function joinWords(words: string[]): string {
  return words.length <= 1
    ? words.join('')
    : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function dayNames(field: string): string | null {
  if (field === '1-5') {
    return 'weekday (Monday to Friday)';
  }
  if (field === '0,6' || field === '6,0') {
    return 'Saturday and Sunday';
  }
  const range = /^(\d)-(\d)$/.exec(field);
  if (range) {
    return `${DAYS[Number(range[1]) % 7]} to ${DAYS[Number(range[2]) % 7]}`;
  }
  if (isList(field)) {
    return joinWords(field.split(',').map(d => DAYS[Number(d) % 7]));
  }
  return null;
}

/** The time of day of numeric minute and hour fields ("02:00", "09:00 and 17:00"). */
function clockTimes(minute: string, hour: string): string | null {
  if (!isListUpTo(minute, 59) || !isListUpTo(hour, 23)) {
    return null; // not a time of day: the server names the bad field
  }
  const times: string[] = [];
  for (const h of hour.split(',')) {
    for (const m of minute.split(',')) {
      times.push(`${pad(Number(h))}:${pad(Number(m))}`);
    }
  }
  return times.length > 4 ? null : joinWords(times);
}

/**
 * A cron expression in words, or null when it is not one of the common shapes.
 *
 * >>> cronInWords('0 2 * * *')   // 'every day at 02:00'
 * >>> cronInWords('*\/15 * * * *') // 'every 15 minutes'
 */
export function cronInWords(expression: string): string | null {
  const fields = (ALIASES[expression.trim()] ?? expression).trim().split(/\s+/);
  if (fields.length === 6) {
    // croniter's seconds field comes last; only a zero second reads plainly
    if (fields[5] !== '0') {
      return null;
    }
    fields.pop();
  }
  if (fields.length !== 5) {
    return null;
  }
  const [minute, hour, dom, month, dow] = fields;
  const everyDay = dom === '*' && month === '*' && dow === '*';

  if (everyDay && hour === '*') {
    if (minute === '*') {
      return 'every minute';
    }
    const step = /^\*\/(\d+)$/.exec(minute);
    if (step) {
      return `every ${step[1]} minutes`;
    }
    if (isListUpTo(minute, 59)) {
      return `every hour at ${joinWords(minute.split(',').map(m => `:${pad(Number(m))}`))}`;
    }
    return null;
  }
  const hourStep = /^\*\/(\d+)$/.exec(hour);
  if (everyDay && hourStep && isNumber(minute) && isListUpTo(minute, 59)) {
    return `every ${hourStep[1]} hours at :${pad(Number(minute))}`;
  }
  const at = clockTimes(minute, hour);
  if (at === null) {
    return null;
  }
  if (everyDay) {
    return `every day at ${at}`;
  }
  if (dom === '*' && month === '*') {
    const days = dayNames(dow);
    return days ? `every ${days} at ${at}` : null;
  }
  if (dow === '*' && isList(dom)) {
    const days = joinWords(dom.split(',').map(d => ordinal(Number(d))));
    if (month === '*') {
      return `every month on the ${days} at ${at}`;
    }
    if (isNumber(month) && Number(month) >= 1 && Number(month) <= 12) {
      return `every year on ${MONTHS[Number(month) - 1]} ${dom.split(',').join(', ')} at ${at}`;
    }
  }
  return null;
}

/** The browser's time zone ("Europe/Berlin"), as Intl knows it. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * The zone a schedule's times are told in: its own, else UTC for a cron (the
 * scheduler's default), else the browser's for a "once" (its time carries its offset).
 */
export function scheduleZone(schedule: ISchedule | undefined | null): string {
  return schedule?.timezone || (schedule?.once ? browserZone() : 'UTC');
}

/**
 * A time as the clock of `zone` shows it, short and 24-hour like cron times
 * ("Nov 24, 02:00"; the year only when it is not this year). An unknown zone falls
 * back to the browser's.
 */
export function formatTimeIn(iso: string, zone: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const options: Intl.DateTimeFormatOptions = {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23'
  };
  if (date.getFullYear() !== now.getFullYear()) {
    options.year = 'numeric';
  }
  try {
    return date.toLocaleString(undefined, { ...options, timeZone: zone });
  } catch {
    return date.toLocaleString(undefined, options);
  }
}

/**
 * A workflow's schedule in words, and its next fire when known, every time in the
 * schedule's zone, which ends the line: "every day at 02:00 · next Nov 24, 02:00
 * (Europe/Berlin)".
 */
export function scheduleInWords(
  schedule: ISchedule | undefined | null,
  next: string | null = null
): string {
  if (!schedule || (!schedule.cron && !schedule.once)) {
    return 'manual only';
  }
  const zone = scheduleZone(schedule);
  const words = schedule.once
    ? `once at ${formatTimeIn(schedule.once, zone)}`
    : (cronInWords(schedule.cron ?? '') ?? `cron “${schedule.cron}”`);
  const upcoming = next && !schedule.once ? ` · next ${formatTimeIn(next, zone)}` : '';
  return `${words}${upcoming} (${zone})`;
}

/** The same, spelled out for a tooltip: the next fire also on the browser's clock. */
export function scheduleTooltip(
  schedule: ISchedule | undefined | null,
  next: string | null = null
): string {
  const line = scheduleInWords(schedule, next);
  if (!next) {
    return line;
  }
  const zone = scheduleZone(schedule);
  const here = browserZone();
  return here === zone
    ? `${line}\nnext run: ${formatTimeIn(next, zone)} ${zone}`
    : `${line}\nnext run: ${formatTimeIn(next, zone)} ${zone} = ${formatTimeIn(next, here)} ${here} (your clock)`;
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM'
};

/**
 * How a task's process ended, in the words of the CLI: "exit 1"; a negative code is a
 * signal — "stopped (SIGTERM)" when the run was stopped, "killed by SIGKILL" otherwise.
 */
export function exitInWords(code: number | null | undefined, stopped = false): string {
  if (code === null || code === undefined) {
    return '';
  }
  if (code >= 0) {
    return `exit ${code}`;
  }
  const name = SIGNALS[-code] ?? `signal ${-code}`;
  return stopped ? `stopped (${name})` : `killed by ${name}`;
}

/** A time as the user's locale writes it, short; '—' for none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}

/** A time, short: "21:31" today, "Nov 22, 21:31" this year, "Nov 22, 2025" before. */
export function formatShortTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const clock: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
  if (date.toDateString() === now.toDateString()) {
    return date.toLocaleTimeString(undefined, clock);
  }
  if (date.getFullYear() === now.getFullYear()) {
    return date.toLocaleString(undefined, { month: 'short', day: 'numeric', ...clock });
  }
  return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** How long from start to end (or to now while it runs): "4.2 s", "3 min 5 s". */
export function formatDuration(
  start: string | null | undefined,
  end: string | null | undefined,
  now: number = Date.now()
): string {
  if (!start) {
    return '';
  }
  const ms = (end ? new Date(end).getTime() : now) - new Date(start).getTime();
  if (!Number.isFinite(ms) || ms < 0) {
    return '';
  }
  if (ms < 10_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  const s = Math.round(ms / 1000);
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m} min ${s % 60} s`;
  }
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Today as YYYY-MM-DD in the browser's time zone. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
