export { ensureEnrolled, markRevoked, type IdentitySettings, type IdentityState } from './enroll.js';
export { hashHostname, hostFacts, type HostOptions } from './host.js';
export { IDENTITY_FILE, KEY_FILE, IdentityError, loadEnrollment, loadOrCreateKey, saveEnrollment, secretFingerprint, type AgentKey, type Enrollment } from './identity.js';
