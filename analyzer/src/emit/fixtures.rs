//! Findings for the emitters' unit tests.

use crate::catalog::PhiType;
use crate::findings::{
    ArtifactRef, EvidenceRef, Explanation, Factor, Finding, FlowRef, Location, Party, Severity,
};
use crate::model::EntityKind;

/// A critical vendor disclosure with two pieces of evidence: a source line and a chat message
/// without a line.
pub(crate) fn finding() -> Finding {
    let party = |name: &str, kind| Party { name: name.into(), kind };
    Finding {
        fingerprint: "3f1c0a9e2b7d4c5e6f708192".into(),
        rule_id: "PF-DISC-001".into(),
        category: "disclosure_no_baa".into(),
        title: "PHI disclosed to a vendor without a signed BAA".into(),
        severity: Severity::Critical,
        score: 84,
        cfr: vec!["45 CFR 164.502(e)".into(), "45 CFR 164.504(e)".into()],
        phi: vec![PhiType::Email, PhiType::LabResult],
        system: "default".into(),
        flow: Some(FlowRef {
            from: party("patient-portal-web", EntityKind::Service),
            to: party("FullStory", EntityKind::Vendor),
            data: vec![PhiType::Email, PhiType::LabResult],
        }),
        subject: None,
        reason: "email, lab_result reach FullStory and no signed BAA covers it".into(),
        evidence: vec![
            EvidenceRef {
                artifact: ArtifactRef {
                    id: "files:src/analytics/fullstory.ts".into(),
                    path: "src/analytics/fullstory.ts".into(),
                    uri: None,
                    revision: "r1".into(),
                },
                location: Location { line: Some(20) },
                excerpt: "FullStory('setIdentity', { email: [EMAIL] })".into(),
            },
            EvidenceRef {
                artifact: ArtifactRef {
                    id: "slack:T1/C1/1.2".into(),
                    path: "slack/portal/2026-10-08.json".into(),
                    uri: Some("https://example.slack.com/archives/C1/p12".into()),
                    revision: "r2".into(),
                },
                location: Location { line: None },
                excerpt: "we'll add FullStory to the results page".into(),
            },
        ],
        remediation: "Sign a BAA or remove the vendor from PHI paths.".into(),
        explanation: Explanation {
            rule: "A flow carries PHI to a vendor without a BAA.".into(),
            facts: vec![],
            resolutions: vec![],
            evidence_total: 2,
            score: vec![
                Factor { name: "rule weight", points: 25, why: "35% of base 70".into() },
                Factor { name: "exposure", points: 25, why: "a vendor without a BAA".into() },
            ],
        },
    }
}

/// A medium finding about one entity, with evidence on a line of a Terraform file.
pub(crate) fn subject_finding() -> Finding {
    let mut f = finding();
    f.fingerprint = "aa00bb11cc22dd33ee44ff55".into();
    f.rule_id = "PF-REST-001".into();
    f.category = "unencrypted_storage".into();
    f.title = "PHI stored without encryption at rest".into();
    f.severity = Severity::Medium;
    f.score = 41;
    f.cfr = vec!["45 CFR 164.312(a)(2)(iv)".into()];
    f.flow = None;
    f.subject = Some(Party { name: "imaging-archive".into(), kind: EntityKind::DataStore });
    f.reason = "imaging-archive holds PHI and nothing encrypts it at rest".into();
    f.evidence.truncate(1);
    f.evidence[0].artifact.path = "terraform/storage.tf".into();
    f.evidence[0].artifact.id = "files:terraform/storage.tf".into();
    f.evidence[0].location.line = Some(37);
    f.evidence[0].excerpt = "resource \"aws_s3_bucket\" \"imaging_archive\" {".into();
    f
}
