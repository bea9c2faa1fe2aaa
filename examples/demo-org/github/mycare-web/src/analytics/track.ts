// Product analytics for MyCare (Mixpanel). Added in #412 for the Q1 booking-conversion report.
// Loaded from AppShell after login, so every call here runs for a signed-in patient.
import mixpanel from "mixpanel-browser";

import type { Appointment, Patient, VisitSummary } from "../api/types";
import { flags } from "../flags";

const token = import.meta.env.VITE_MIXPANEL_TOKEN as string | undefined;
let ready = false;

export function initAnalytics(patient: Patient): void {
  if (!token || !flags.isEnabled("mycare_analytics_v2")) return;
  mixpanel.init(token, {
    track_pageview: "url-with-path",
    persistence: "localStorage",
  });
  mixpanel.identify(patient.id);
  mixpanel.people.set({
    $name: `${patient.firstName} ${patient.lastName}`,
    $email: patient.email,
    mrn: patient.mrn,
    home_clinic: patient.homeClinic.name,
  });
  ready = true;
}

export function trackAppointmentBooked(appt: Appointment): void {
  if (!ready) return;
  mixpanel.track("Appointment Booked", {
    visit_reason: appt.reason,
    diagnosis_codes: appt.triage.icd10Codes,
    specialty: appt.provider.specialty,
    provider: appt.provider.displayName,
    clinic: appt.clinic.name,
    slot_start: appt.start,
    booked_via: appt.channel,
  });
}

export function trackVisitSummaryViewed(summary: VisitSummary): void {
  if (!ready) return;
  mixpanel.track("Visit Summary Viewed", {
    visit_id: summary.visitId,
    diagnoses: summary.diagnoses.map((d) => d.code),
    prescriptions_count: summary.prescriptions.length,
    follow_up_in_days: summary.followUpInDays,
  });
}

export function resetAnalytics(): void {
  if (ready) mixpanel.reset();
  ready = false;
}
