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

/** A workflow's schedule in words, with its time zone. */
export function scheduleInWords(schedule: ISchedule | undefined | null): string {
  if (!schedule || (!schedule.cron && !schedule.once)) {
    return 'manual only';
  }
  const tz = schedule.timezone || 'UTC';
  if (schedule.once) {
    return `once at ${formatTime(schedule.once)}`;
  }
  const cron = schedule.cron ?? '';
  const words = cronInWords(cron);
  return `${words ?? `cron “${cron}”`} (${tz})`;
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
